// resolveLimits is what both runtimes call (Node's nodeRooms, the Worker and each Durable Object).
import { describe, expect, it } from "vitest";
import { PLATFORM_MAX_STATE_BYTES, resolveLimits } from "../src/limits.ts";

describe("maxStateBytes", () => {
  it("may be lowered from the platform's 16 KiB, in code or through ROOMKIT_MAX_STATE_BYTES", () => {
    expect(resolveLimits().maxStateBytes).toBe(PLATFORM_MAX_STATE_BYTES);
    expect(resolveLimits({}, { ROOMKIT_MAX_STATE_BYTES: "2048" }).maxStateBytes).toBe(2048);
    expect(resolveLimits({ maxStateBytes: 512 }, { ROOMKIT_MAX_STATE_BYTES: "2048" }).maxStateBytes).toBe(512);
  });

  it("is refused above 16,384 bytes, which Cloudflare would not store, and when not a positive integer", () => {
    expect(() => resolveLimits({ maxStateBytes: 16_385 })).toThrow(/maxStateBytes must be an integer from 1 to 16384 \(Cloudflare's attachment limit\), got 16385/);
    expect(() => resolveLimits({}, { ROOMKIT_MAX_STATE_BYTES: "20000" })).toThrow(/got 20000/);
    expect(() => resolveLimits({}, { ROOMKIT_MAX_STATE_BYTES: "0" })).toThrow(/ROOMKIT_MAX_STATE_BYTES must be a positive integer/);
    expect(() => resolveLimits({ maxStateBytes: 1.5 })).toThrow(/got 1.5/);
  });
});
