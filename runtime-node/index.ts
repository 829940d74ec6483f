// `roomkit/node`: an app served by a Node process, rooms in memory, hibernation emulated.
export { serveRooms, type NodeServerOptions, type RoomServer } from "./server.ts";
export { nodeRooms, type NodeRooms, type NodeRoomsOptions } from "./node-rooms.ts";
export type { RoomInfo } from "./room-info.ts";
