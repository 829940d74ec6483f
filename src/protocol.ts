// Close codes and frames that roomkit itself sends. Room-specific frames belong to the room.

/** WebSocket close codes used by roomkit (RFC 6455 §7.4.1). */
export const CloseCode = {
  /** The room or the client ended the conversation normally. */
  NORMAL: 1000,
  /** The server is shutting down (Node: SIGINT/SIGTERM). */
  GOING_AWAY: 1001,
  /** The peer broke the protocol (e.g. a Close frame with a code no endpoint may send). */
  PROTOCOL_ERROR: 1002,
  /** The room does not accept this kind of frame (e.g. binary to the chat room). */
  UNSUPPORTED_DATA: 1003,
  /** Policy violation: sustained rate-limit abuse, refused by the room. */
  POLICY_VIOLATION: 1008,
  /** A frame larger than `maxMessageBytes`. */
  MESSAGE_TOO_BIG: 1009,
  /** The room's code threw while handling this connection. */
  INTERNAL_ERROR: 1011,
  /** Try again later: a slow consumer, a room full at the last moment, or the room's storage full. */
  TRY_AGAIN_LATER: 1013,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** Close codes an endpoint may put in a Close frame (RFC 6455 §7.4). */
export function isSendableCloseCode(code: number): boolean {
  return Number.isInteger(code) && ((code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999));
}

/**
 * The heartbeat: a client sends exactly this text and gets `HEARTBEAT_RESPONSE` back from the
 * runtime itself (Cloudflare's WebSocket auto-response), without waking or reaching the room.
 */
export const HEARTBEAT_REQUEST = "ping";
export const HEARTBEAT_RESPONSE = "pong";

/** An error frame, sent only to clients that asked for error frames. */
export interface ErrorFrame {
  type: "error";
  code: string;
  detail: string;
}

export function errorFrame(code: string, detail: string): string {
  return JSON.stringify({ type: "error", code, detail } satisfies ErrorFrame);
}

/** The reason of the 1013 a sender gets when its message could not be stored: the storage is full. */
export const STORAGE_FULL_REASON = "storage full; try again later";

export function tooBigReason(maxBytes: number): string {
  return `message exceeds ${maxBytes} bytes`;
}
