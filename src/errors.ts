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

/**
 * True for an error that says the room's storage has no room left: SQLite's SQLITE_FULL (a full
 * disk, or a database at its page limit — Node, and what a Durable Object's SQLite reports), the
 * file system's ENOSPC/EDQUOT, anywhere in the error's cause chain. Not the room's fault and not
 * permanent: the sender is told to try again later (1013) rather than that the room broke (1011).
 */
export function isStorageFull(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 5; current = (current as { cause?: unknown }).cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (code === "SQLITE_FULL" || code === "ENOSPC" || code === "EDQUOT") return true;
    const message = current instanceof Error ? current.message : "";
    if (/SQLITE_FULL|database or disk is full/i.test(message)) return true;
  }
  return false;
}
