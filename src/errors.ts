/** Every error roomkit throws on purpose: a stable `code`, and the room it happened in. */
export type RoomkitErrorCode =
  | "STATE_TOO_LARGE"
  | "STATE_NOT_CLONEABLE"
  | "TOO_MANY_TAGS"
  | "TAG_TOO_LONG"
  | "INVALID_TAG"
  | "UNKNOWN_ROOM_TYPE"
  | "INVALID_ROOM_NAME"
  | "SOCKET_CLOSED"
  | "INVALID_CLOSE_CODE"
  | "STORAGE"
  | "ROOM_START_FAILED"
  | "CONFIG";

export class RoomkitError extends Error {
  override readonly name = "RoomkitError";
  constructor(
    readonly code: RoomkitErrorCode,
    readonly room: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`[${code}] room "${room}": ${message}`, options);
  }
}
