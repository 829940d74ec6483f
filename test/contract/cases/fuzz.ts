import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestClient } from "../../support/client.ts";
import { seededRandom } from "../../support/random.ts";
import type { RunningRuntime } from "roomkit/testing";
import { roomName, type SuiteContext } from "../context.ts";

const FRAMES = 3000;
const MAX_BYTES = 65_536;

type Fuzz = { data: string | Uint8Array; closes?: number };

/** The chat's rules restated independently of the server: what it must store for a text frame. */
function expectedStored(data: string): { user: string; message: string } | undefined {
  let value: any;
  try {
    value = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) return undefined;
  if (typeof value.user !== "string" || typeof value.message !== "string") return undefined;
  const [user, message] = [value.user.trim(), value.message.trim()];
  return user.length >= 1 && user.length <= 64 && message.length >= 1 && message.length <= 4096 ? { user, message } : undefined;
}

/** One random frame, and what the server must do with it (store it, or close with a code). */
function fuzzFrame(random: () => number): Fuzz {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const text = (max: number) => Array.from({ length: 1 + Math.floor(random() * max) }, () => String.fromCharCode(32 + Math.floor(random() * 0x2fff))).join("");
  const json = (depth: number): unknown =>
    depth > 2 ? pick([null, true, 1.5, "s", -0]) : pick([() => null, () => random(), () => text(20), () => [json(depth + 1), json(depth + 1)], () => ({ user: json(depth + 1), message: json(depth + 1) })])();
  const roll = random();
  if (roll < 0.2) {
    const user = `u${Math.floor(random() * 1000)}`;
    const message = `${text(60).trim() || "x"}`;
    return { data: JSON.stringify({ user, message }) };
  }
  if (roll < 0.22) return { data: Uint8Array.from({ length: 1 + Math.floor(random() * 64) }, () => Math.floor(random() * 256)), closes: 1003 };
  if (roll < 0.23) return { data: JSON.stringify({ user: "huge", message: "x".repeat(MAX_BYTES + 10) }), closes: 1009 };
  if (roll < 0.45) return { data: JSON.stringify(json(0)) };
  if (roll < 0.6) return { data: text(200) };
  if (roll < 0.7) return { data: JSON.stringify({ user: pick(["", " ", "u".repeat(65), 5]), message: "m" }) };
  if (roll < 0.8) return { data: JSON.stringify({ user: "u", message: pick(["", "   ", "m".repeat(4097), { a: 1 }, null]) }) };
  if (roll < 0.9) return { data: JSON.stringify({ user: "u", message: "m" }).slice(0, Math.floor(random() * 20)) || "{" };
  return { data: "ping ".repeat(1 + Math.floor(random() * 3)) };
}

export function fuzzCases(ctx: SuiteContext): void {
  describe("fuzz", () => {
    let rt: RunningRuntime;
    beforeAll(async () => {
      rt = await ctx.handle.start({ env: { ROOMKIT_RATE_LIMIT: "off", ROOMKIT_MAX_MESSAGE_BYTES: String(MAX_BYTES) } });
    });
    afterAll(async () => {
      await rt?.stop();
    });

    it(`survives ${FRAMES} seeded random frames while a watcher pair chats; history holds exactly the valid messages`, async () => {
      const path = `/rooms/${roomName("fuzz")}/ws`;
      const [alice, bob] = [await TestClient.open(rt.url, path), await TestClient.open(rt.url, path)];
      const random = seededRandom(20261127);
      const expected: { user: string; message: string }[] = [];
      let abuser = await TestClient.open(rt.url, path + "?roomkit=1");
      let closes = 0;
      let validOnSocket = 0;

      const watchers = (async () => {
        for (let i = 0; i < 50; i++) {
          alice.send({ user: "alice", message: `a${i}` });
          bob.send({ user: "bob", message: `b${i}` });
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      })();

      for (let i = 0; i < FRAMES; i++) {
        const frame = fuzzFrame(random);
        abuser.send(frame.data);
        const stored = typeof frame.data === "string" && !frame.closes ? expectedStored(frame.data) : undefined;
        if (stored) {
          expected.push(stored);
          validOnSocket++;
        }
        if (frame.closes) {
          expect((await abuser.closed).code).toBe(frame.closes);
          closes++;
          abuser = await TestClient.open(rt.url, path + "?roomkit=1");
          validOnSocket = 0;
        }
      }
      // Frames on one socket are handled in order: the ack of the last one means all were.
      abuser.send({ user: "fuzz", message: "done" });
      expected.push({ user: "fuzz", message: "done" });
      for (let acks = 0; acks <= validOnSocket; ) if ((await abuser.next(30_000)).type === "ack") acks++;
      await watchers;

      const seenBy = async (client: TestClient, from: string) => {
        const got: string[] = [];
        while (got.length < 50) {
          const frame = await client.next(15_000);
          if (frame.user === from) got.push(frame.message);
        }
        return got;
      };
      expect(await seenBy(bob, "alice")).toEqual(Array.from({ length: 50 }, (_, i) => `a${i}`));
      expect(await seenBy(alice, "bob")).toEqual(Array.from({ length: 50 }, (_, i) => `b${i}`));
      expect(closes).toBeGreaterThan(10);

      const history = await TestClient.open(rt.url, path + "?roomkit=1&since=0");
      const stored: { user: string; message: string; seq: number }[] = [];
      for (;;) {
        const frame = await history.next(15_000);
        if (frame.type === "synced") break;
        stored.push(frame);
      }
      const fromFuzz = stored.filter((f) => f.user !== "alice" && f.user !== "bob").map(({ user, message }) => ({ user, message }));
      expect(fromFuzz).toEqual(expected);
      expect(stored.filter((f) => f.user === "alice")).toHaveLength(50);
      expect(stored.map((f) => f.seq)).toEqual(stored.map((_, i) => i + 1));
      for (const client of [alice, bob, abuser, history]) client.close();
    }, 120_000);
  });
}
