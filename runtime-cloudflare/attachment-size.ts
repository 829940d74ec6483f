// The V8-serialized size of an attachment, measured by workerd's own serializer (the same measure
// as the Node runtime's node:v8). workerd states a size only when it refuses an attachment, so the
// probe is one it always refuses: the value followed by a padding string past the platform limit.
// The padding's share is measured once, with null in the value's place.
import { PLATFORM_MAX_STATE_BYTES } from "../src/limits.ts";

const PADDING = "x".repeat(PLATFORM_MAX_STATE_BYTES);
/** `null` serialized alone: the two header bytes (0xFF, version) and its one tag byte. */
const NULL_ALONE = 3;
const REFUSED = /cannot be larger than (\d+) bytes.*?was (\d+) bytes/s;

let paddingShare: number | undefined;

/**
 * The value's serialized size in bytes, as `serializeAttachment(value)` would count it. Throws
 * what workerd throws for a value it cannot serialize (a DataCloneError). The probes go to a
 * socket of their own, never accepted, so no real socket's attachment is touched.
 */
export function serializedSize(value: unknown): number {
  const [socket] = Object.values(new WebSocketPair()) as [WebSocket];
  paddingShare ??= refusedSize(socket, [null, PADDING]) - NULL_ALONE;
  // The value comes first, so it starts at an even offset as when serialized alone (V8 aligns
  // two-byte strings to even offsets: the parity must match for the sizes to).
  return refusedSize(socket, [value, PADDING]) - paddingShare;
}

/** workerd's size for an attachment that is over its limit; the refusal error itself. */
export function refusal(error: unknown): { limit: number; size: number } | undefined {
  const match = REFUSED.exec(error instanceof Error ? error.message : String(error));
  return match ? { limit: Number(match[1]), size: Number(match[2]) } : undefined;
}

function refusedSize(socket: WebSocket, probe: unknown[]): number {
  try {
    socket.serializeAttachment(probe);
  } catch (error) {
    const refused = refusal(error);
    if (refused) return refused.size;
    throw error;
  }
  // Accepted: the platform limit grew past the padding. Nothing to measure with; say so plainly.
  throw new Error(`workerd accepted an attachment over ${PLATFORM_MAX_STATE_BYTES} bytes: roomkit's attachment size probe needs updating`);
}
