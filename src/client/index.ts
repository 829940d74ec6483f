// roomkit/client: a reconnecting, resuming WebSocket client for roomkit rooms. Runs in browsers
// and in Node ≥ 20 (pass a WebSocket implementation such as `ws` where there is no global one).
export { RoomClient } from "./client.ts";
export type { ClientError, ClientEvents, ClientOptions, ClientState } from "./types.ts";
export { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from "./backoff.ts";
export { isTerminalClose, StopCode } from "./close-codes.ts";
export { DEFAULT_OUTBOX_LIMITS, type OutboxLimits } from "./outbox.ts";
export type { HeartbeatOptions } from "./link.ts";
export type { WebSocketConstructor, WebSocketLike } from "./socket.ts";
export type { Listener } from "./emitter.ts";
export { chatPath, connectChat, DEFAULT_CHAT_ROOM, type ChatClient, type ChatClientOptions, type ChatInput, type ChatMessage, type ChatNotice, type ChatOutgoing } from "./chat.ts";
export { CloseCode, HEARTBEAT_REQUEST, HEARTBEAT_RESPONSE } from "../protocol.ts";
