// `roomkit/cloudflare`: an app as a Worker with one Durable Object class per room type.
export { createWorker, type RoomBindings, type RoomkitWorker } from "./create-worker.ts";
export type { Env, RoomObjectClass } from "./room-object.ts";
