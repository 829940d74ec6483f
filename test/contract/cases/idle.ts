import { describe, expect, it } from "vitest";
import { roomName, type SuiteContext } from "../context.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function idleCases(ctx: SuiteContext): void {
  describe("idle hibernation (no forced eviction)", () => {
    it(
      "hibernates an idle room by itself after about 10 s, and heartbeats every second do not keep it awake",
      async () => {
        const name = roomName("idle");
        const a = await ctx.probe(name);
        const before = await ctx.ask(a, { cmd: "stats" });
        const who = await ctx.ask(a, { cmd: "whoami" });
        // 13 s of the client's own keep-alive: each answered by the runtime, none reaching the room.
        for (let i = 0; i < 13; i++) {
          a.send("ping");
          expect(await a.nextText()).toBe("pong");
          await sleep(1000);
        }
        // Nothing left to evict: the room already went by itself.
        await expect(ctx.rt.hibernate(name, "probe")).rejects.toThrow();
        const after = await ctx.ask(a, { cmd: "stats" });
        expect(after.constructed).toBe(before.constructed + 1);
        expect(after.messagesSinceWake).toBe(1);
        expect(await ctx.ask(a, { cmd: "whoami" })).toEqual(who);
        a.close();
      },
      30_000,
    );
  });
}
