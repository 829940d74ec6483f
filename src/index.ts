export type { BroadcastOptions, Connection, ConnectionInit, FrameData, OutgoingData, Room, RoomClass, RoomHost } from "./room.ts";
export type { ListOptions, RoomSql, RoomStorage, SqlCursor, SqlRow, SqlValue } from "./storage.ts";
export { RoomkitError, type RoomkitErrorCode } from "./errors.ts";
export { log, setLogLevel, type LogLevel } from "./log.ts";
export { CloseCode, HEARTBEAT_REQUEST, HEARTBEAT_RESPONSE, errorFrame, type ErrorFrame } from "./protocol.ts";
export { DEFAULT_LIMITS, LIMIT_ENV, ROOM_NAME_PATTERN, isValidRoomName, parseOrigins, parseRateLimit, resolveLimits, type Limits, type RateLimit } from "./limits.ts";
export { createRouter, defineApp, originAllowed, type BeforeConnect, type BeforeConnectContext, type RoomRoute, type RoomkitApp } from "./router.ts";
export { ActiveRoom, SocketConnection, type Alarms, type Attachment, type SocketBackend } from "./active-room.ts";
export { TARGET_HEADER, newAttachment, checkTags, type ConnectTarget } from "./connect.ts";
