// Backoff bounds, computed (never timed): the random source is injected.
import { describe, expect, it } from "vitest";
import { backoffDelay, DEFAULT_BACKOFF } from "../../src/client/index.ts";
import { checkBackoff } from "../../src/client/backoff.ts";

const extremes = [0, 0.25, 0.5, 0.999_999];

describe("backoff", () => {
  it("stays within [initial·(1−jitter), max] for every attempt and every random value", () => {
    const { initialDelayMs, maxDelayMs, jitter } = DEFAULT_BACKOFF;
    for (let attempt = 1; attempt <= 200; attempt++) {
      for (const r of extremes) {
        const delay = backoffDelay(attempt, DEFAULT_BACKOFF, () => r);
        expect(delay).toBeGreaterThanOrEqual(Math.floor(initialDelayMs * (1 - jitter)));
        expect(delay).toBeLessThanOrEqual(maxDelayMs);
      }
    }
  });

  it("doubles from the initial delay up to the cap (no jitter at random = 0)", () => {
    const delays = Array.from({ length: 10 }, (_, i) => backoffDelay(i + 1, DEFAULT_BACKOFF, () => 0));
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000]);
  });

  it("takes at most `jitter` of the delay away", () => {
    const options = { initialDelayMs: 1000, maxDelayMs: 10_000, factor: 3, jitter: 0.2 };
    expect(backoffDelay(2, options, () => 0)).toBe(3000);
    expect(backoffDelay(2, options, () => 0.5)).toBe(2700);
    expect(backoffDelay(2, options, () => 0.999_999)).toBe(2400);
    expect(backoffDelay(1e6, options, () => 0)).toBe(10_000);
  });

  it("keeps bounds even with a random source out of range, and huge attempts", () => {
    expect(backoffDelay(3, DEFAULT_BACKOFF, () => 7)).toBe(1000);
    expect(backoffDelay(3, DEFAULT_BACKOFF, () => -1)).toBe(2000);
    expect(backoffDelay(Number.MAX_SAFE_INTEGER, DEFAULT_BACKOFF, () => 0)).toBe(30_000);
    expect(backoffDelay(0, DEFAULT_BACKOFF, () => 0)).toBe(500);
  });

  it("refuses options without bounds", () => {
    expect(() => checkBackoff({ initialDelayMs: 100, maxDelayMs: 50, factor: 2, jitter: 0 })).toThrow(RangeError);
    expect(() => checkBackoff({ initialDelayMs: 100, maxDelayMs: 500, factor: 0.5, jitter: 0 })).toThrow(RangeError);
    expect(() => checkBackoff({ initialDelayMs: 100, maxDelayMs: 500, factor: 2, jitter: 1.5 })).toThrow(RangeError);
  });
});
