import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestClient } from "../../support/client.ts";
import type { RunningRuntime } from "roomkit/testing";
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
        expect(await ctx.rt.hibernate("probe", name)).toBe(false);
        const after = await ctx.ask(a, { cmd: "stats" });
        expect(after.constructed).toBe(before.constructed + 1);
        expect(after.messagesSinceWake).toBe(1);
        expect(await ctx.ask(a, { cmd: "whoami" })).toEqual(who);
        a.close();
      },
      30_000,
    );
  
    describe("with a short idle time", () => {
      // Node: a short idle time, so the tests are quick; workerd's stays about 10 s whatever is asked.
      let rt: RunningRuntime;
      beforeAll(async () => {
        rt = await ctx.handle.start({ hibernateAfterMs: 300 });
      });
      afterAll(async () => {
        await rt?.stop();
      });
      const probe = (name: string) => TestClient.open(rt.url, `/probe/${name}/ws`);
      const ask = (client: TestClient, command: { cmd: string; [key: string]: unknown }, timeoutMs = 5000) => {
        client.send(command);
        return client.nextMatching((frame) => frame.re === command.cmd, timeoutMs);
      };

      describe("a room whose last socket left", () => {

        it("keeps its instance until the idle time is up: a socket that comes back sooner meets the same instance", async () => {
          const name = roomName("emptied");
          const a = await probe(name);
          const before = await ask(a, { cmd: "stats" });
          a.close();
          await a.closed;
          await sleep(Math.min(100, rt.idleMs / 3));
          const b = await probe(name);
          expect(await ask(b, { cmd: "stats" })).toMatchObject({ instance: before.instance, constructed: before.constructed, connections: 1 });
          b.close();
        });

        it(
          "is dropped once it stayed empty for the idle time: the next socket meets a new instance",
          async () => {
            const name = roomName("emptied-idle");
            const a = await probe(name);
            const before = await ask(a, { cmd: "stats" });
            a.close();
            await a.closed;
            await sleep(rt.idleMs * 1.5 + 500);
            const b = await probe(name);
            expect(await ask(b, { cmd: "stats" })).toMatchObject({ constructed: before.constructed + 1, connections: 1 });
            b.close();
          },
          60_000,
        );
      });

      describe("with a handler in flight", () => {

        it(
          "stays awake while a handler awaits past the idle time: a newcomer meets the same instance",
          async () => {
            const name = roomName("inflight");
            const a = await probe(name);
            const before = await ask(a, { cmd: "stats" });
            const sleepMs = rt.idleMs * 2;
            const slept = ask(a, { cmd: "sleep", ms: sleepMs }, sleepMs + 10_000);
            await sleep(rt.idleMs * 1.5);
            const b = await probe(name);
            const during = await ask(b, { cmd: "stats" });
            expect(during).toMatchObject({ instance: before.instance, constructed: before.constructed, connections: 2 });
            expect(await slept).toEqual({ re: "sleep", instance: before.instance, constructed: before.constructed });
            a.close();
            b.close();
          },
          60_000,
        );

        it(
          "keeps the room while a handler awaits after its last socket left: the next socket meets the same instance",
          async () => {
            const name = roomName("inflight-empty");
            const a = await probe(name);
            const before = await ask(a, { cmd: "stats" });
            a.send({ cmd: "sleep", ms: rt.idleMs * 2 });
            await sleep(50);
            a.close();
            await a.closed;
            await sleep(rt.idleMs * 1.5);
            const b = await probe(name);
            expect(await ask(b, { cmd: "stats" })).toMatchObject({ instance: before.instance, constructed: before.constructed, connections: 1 });
            b.close();
          },
          60_000,
        );
      });
    });
  });
}
