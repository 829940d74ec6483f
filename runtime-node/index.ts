export { serveRooms, type NodeServerOptions, type RoomServer } from "./server.ts";
export { RoomRegistry } from "./rooms.ts";
export { SqliteRoomStorage, databasePath } from "./storage.ts";
