// Turning an accepted upgrade into a socket attachment: shared so both runtimes check tags and
// state against the same limits before the socket is accepted.
import type { Attachment } from "./active-room.ts";
import { RoomkitError } from "./errors.ts";
import type { Limits } from "./limits.ts";
import type { ConnectionInit } from "./room.ts";

/** What the router hands to a runtime for one upgrade: which room, and the socket's first attachment. */
export interface ConnectTarget {
  /** Room type: a key of the app's `rooms`. */
  type: string;
  /** Room name, validated. */
  name: string;
  init: ConnectionInit & { extended?: boolean };
}

export function checkTags(tags: readonly string[], limits: Limits, room: string): void {
  if (tags.length > limits.maxTags) {
    throw new RoomkitError("TOO_MANY_TAGS", room, `${tags.length} tags; the limit is ${limits.maxTags}`);
  }
  for (const tag of tags) {
    if (typeof tag !== "string" || tag.length === 0) throw new RoomkitError("INVALID_TAG", room, "tags must be non-empty strings");
    if (tag.length > limits.maxTagLength) {
      throw new RoomkitError("TAG_TOO_LONG", room, `a tag of ${tag.length} characters; the limit is ${limits.maxTagLength}`);
    }
  }
}

export function newAttachment(target: ConnectTarget, limits: Limits): Attachment {
  const tags = [...(target.init.tags ?? [])];
  checkTags(tags, limits, target.name);
  const attachment: Attachment = { id: crypto.randomUUID(), tags, state: target.init.state ?? null };
  if (target.init.extended) attachment.extended = true;
  return attachment;
}

/**
 * An attachment with nothing in it anyone could change in place: no tags, a null state (what a
 * socket starts with unless the auth hook gave it some). A runtime may hand such an object to the
 * room as it is, instead of a decoding of its serialized bytes, which would read exactly the same.
 */
export function isFixedAttachment(attachment: Attachment): boolean {
  return attachment.tags.length === 0 && attachment.state === null;
}

/** The auth hook gave the connection nothing (no tags, no state): its target is its room and `?roomkit=1` alone. */
export function isPlainTarget(target: ConnectTarget): boolean {
  return (target.init.tags === undefined || target.init.tags.length === 0) && (target.init.state === undefined || target.init.state === null);
}

/** The header that carries a ConnectTarget from the Worker to its Durable Object. */
export const TARGET_HEADER = "x-roomkit-target";
