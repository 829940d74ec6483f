// `roomkit`: what a room author writes against, on either runtime. Runtime plumbing (the shared room
// host, socket backends, the router) lives in internal modules that no entry of the package exports.
export type { BroadcastOptions, Connection, ConnectionInit, FrameData, OutgoingData, Room, RoomClass, RoomHost } from "./room.ts";
export type { ListOptions, RoomSql, RoomStorage, SqlCursor, SqlRow, SqlValue } from "./storage.ts";
export { defineApp, type BeforeConnect, type BeforeConnectContext, type RoomRoute, type RoomkitApp } from "./router.ts";
export { RoomkitError, type RoomkitErrorCode } from "./errors.ts";
export { CloseCode, HEARTBEAT_REQUEST, HEARTBEAT_RESPONSE, type ErrorFrame } from "./protocol.ts";
export { DEFAULT_LIMITS, LIMIT_ENV, ROOM_NAME_PATTERN, isValidRoomName, type Limits, type RateLimit } from "./limits.ts";
export { log, setLogLevel, type LogLevel } from "./log.ts";
