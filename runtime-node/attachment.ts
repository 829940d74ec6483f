// Connection attachments, kept the way Cloudflare keeps them: as serialized bytes only. A room
// that stashes something non-cloneable or too big fails here exactly as it would on workerd.
import { deserialize, serialize } from "node:v8";
import type { Attachment } from "../src/active-room.ts";
import { RoomkitError } from "../src/errors.ts";

export function encodeAttachment(attachment: Attachment, maxBytes: number, room: string): Buffer {
  let bytes: Buffer;
  try {
    bytes = serialize(attachment);
  } catch (error) {
    throw new RoomkitError("STATE_NOT_CLONEABLE", room, `connection state must be structured-cloneable: ${(error as Error).message}`, { cause: error });
  }
  if (bytes.length > maxBytes) {
    throw new RoomkitError("STATE_TOO_LARGE", room, `connection attachment is ${bytes.length} bytes serialized; the limit is ${maxBytes} bytes`);
  }
  return bytes;
}

export function decodeAttachment(bytes: Buffer): Attachment {
  return deserialize(bytes) as Attachment;
}
