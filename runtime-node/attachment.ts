// Connection attachments, kept the way Cloudflare keeps them: as serialized bytes. A room that
// stashes something non-cloneable or too big fails here exactly as it would on workerd.
import { deserialize, serialize } from "node:v8";
import type { Attachment } from "../src/active-room.ts";
import { isFixedAttachment } from "../src/connect.ts";
import { RoomkitError } from "../src/errors.ts";

/**
 * The serialized bytes as a Latin-1 string (one character per byte): a string lives in V8's heap
 * alone, where a Buffer per socket would add an ArrayBuffer, a native backing store and a malloc
 * chunk per socket (W3: anonymous memory over 1,600 idle sockets 6.57 → 5.62 MB, about 600 bytes each).
 */
export type EncodedAttachment = string;

/**
 * What a socket keeps: the bytes, or the frozen object itself for a fixed attachment (nothing in it
 * can change in place: `isFixedAttachment`). Every read of such an object is what a decoding of its
 * bytes would be, so it is never encoded;
 * its size is still checked against the limit, as workerd checks every attachment.
 */
export type StoredAttachment = EncodedAttachment | Readonly<Attachment>;

/** One shared empty tag list: most sockets have no tags, and an array each is 16 bytes apiece. */
export const NO_TAGS: readonly string[] = Object.freeze([]);

/** Serialized sizes of fixed attachments, by id length and protocol flag (the only things that vary). */
const fixedSizes = new Map<string, number>();

export function storeAttachment(attachment: Attachment, maxBytes: number, room: string): StoredAttachment {
  if (!isFixedAttachment(attachment)) return encodeAttachment(attachment, maxBytes, room);
  const shape = `${attachment.id.length}:${attachment.extended === true}`;
  let bytes = fixedSizes.get(shape);
  if (bytes === undefined) fixedSizes.set(shape, (bytes = serialize(attachment).length));
  if (bytes > maxBytes) throw tooLarge(bytes, maxBytes, room);
  attachment.tags = NO_TAGS;
  return Object.freeze(attachment);
}

export function readAttachment(stored: StoredAttachment): Attachment {
  return typeof stored === "string" ? decodeAttachment(stored) : stored;
}

export function encodeAttachment(attachment: Attachment, maxBytes: number, room: string): EncodedAttachment {
  let bytes: Buffer;
  try {
    bytes = serialize(attachment);
  } catch (error) {
    throw new RoomkitError("STATE_NOT_CLONEABLE", room, `connection state must be structured-cloneable: ${(error as Error).message}`, { cause: error });
  }
  if (bytes.length > maxBytes) throw tooLarge(bytes.length, maxBytes, room);
  return bytes.toString("latin1");
}

function tooLarge(bytes: number, maxBytes: number, room: string): RoomkitError {
  return new RoomkitError("STATE_TOO_LARGE", room, `connection attachment is ${bytes} bytes serialized; the limit is ${maxBytes} bytes`);
}

export function decodeAttachment(encoded: EncodedAttachment): Attachment {
  return deserialize(Buffer.from(encoded, "latin1")) as Attachment;
}
