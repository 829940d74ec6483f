export { createWorker, type RoomBindings, type RoomkitWorker, type WorkerOptions } from "./create-worker.ts";
export { roomObject, type Env, type RoomObjectClass, type RoomObjectOptions } from "./room-object.ts";
export { DurableRoomStorage, durableAlarms } from "./storage.ts";
export { HibernatableSockets } from "./sockets.ts";
