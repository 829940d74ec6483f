// How the Node runtime keeps a socket's attachment: bytes as workerd keeps them, except a fixed one
// (no tags, null state), kept as the frozen object — which must read as its decoding would and be
// held to the same size limit.
import { deserialize, serialize } from "node:v8";
import { describe, expect, it } from "vitest";
import { RoomkitError } from "../../src/errors.ts";
import { readAttachment, storeAttachment } from "../../runtime-node/attachment.ts";

const id = () => crypto.randomUUID();

describe("Node attachments", () => {
  it("a fixed attachment is kept frozen and reads as a decoding of its bytes", () => {
    for (const extended of [false, true]) {
      const made = { id: id(), tags: [], state: null, ...(extended && { extended }) };
      const decoded = deserialize(serialize(made));
      const stored = storeAttachment(made, 2048, "lobby");
      expect(typeof stored).toBe("object");
      expect(Object.isFrozen(stored)).toBe(true);
      expect(Object.isFrozen((stored as { tags: unknown }).tags)).toBe(true);
      expect(readAttachment(stored)).toEqual(decoded);
    }
  });

  it("tags or a state make it bytes, decoded afresh on every read", () => {
    for (const made of [
      { id: id(), tags: ["blue"], state: null },
      { id: id(), tags: [], state: { name: "ada" } },
      { id: id(), tags: [], state: "x" },
    ]) {
      const expected = deserialize(serialize(made));
      const stored = storeAttachment(made, 2048, "lobby");
      expect(typeof stored).toBe("string");
      const first = readAttachment(stored);
      expect(first).toEqual(expected);
      expect(readAttachment(stored)).not.toBe(first);
    }
  });

  it("a fixed attachment over the limit is refused with its serialized size, as an encoded one is", () => {
    const size = serialize({ id: id(), tags: [], state: null }).length;
    expect(() => storeAttachment({ id: id(), tags: [], state: null }, size - 1, "lobby")).toThrowError(
      expect.objectContaining({ code: "STATE_TOO_LARGE", message: expect.stringContaining(`${size} bytes serialized; the limit is ${size - 1} bytes`) }),
    );
    expect(() => storeAttachment({ id: id(), tags: [], state: "x".repeat(size) }, size, "lobby")).toThrowError(RoomkitError);
    expect(typeof storeAttachment({ id: id(), tags: [], state: null }, size, "lobby")).toBe("object");
  });
});
