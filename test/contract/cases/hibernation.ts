import { describe, expect, it } from "vitest";
import { openMany } from "../../support/client.ts";
import { roomName, type SuiteContext } from "../context.ts";

export function hibernationCases(ctx: SuiteContext): void {
  describe("hibernation", () => {
    it("keeps every socket with its id, tags and state while the instance is rebuilt", async () => {
      const name = roomName("hib");
      const a = await ctx.probe(name, "?tags=one");
      const b = await ctx.probe(name, "?tags=two");
      await ctx.ask(a, { cmd: "setState", state: { score: 42, nested: { list: [1, 2] } } });
      const before = await ctx.ask(a, { cmd: "stats" });
      expect(before.messagesSinceWake).toBeGreaterThan(0);
      const whoA = await ctx.ask(a, { cmd: "whoami" });
      const whoB = await ctx.ask(b, { cmd: "whoami" });

      expect(await ctx.rt.hibernate("probe", name)).toBe(true);

      expect(await ctx.ask(a, { cmd: "whoami" })).toEqual(whoA);
      expect(await ctx.ask(b, { cmd: "whoami" })).toEqual(whoB);
      const after = await ctx.ask(a, { cmd: "stats" });
      expect(after.constructed).toBe(before.constructed + 1);
      expect(after.messagesSinceWake).toBe(3); // fields were reset: only the messages since the wake-up
      expect(after.connections).toBe(2);
      await ctx.ask(a, { cmd: "broadcast", data: "after wake" });
      expect(await b.nextMatching((f) => f.type === "broadcast")).toMatchObject({ data: "after wake" });
      a.close();
      b.close();
    });

    it("leaves out the connections `except` names after a wake-up, seen since or not", async () => {
      const name = roomName("except");
      const [a, b, c] = await Promise.all([ctx.probe(name), ctx.probe(name), ctx.probe(name)]);
      const idOf = async (socket: typeof a) => ((await ctx.ask(socket, { cmd: "whoami" })) as { id: string }).id;
      const [idA, idB] = [await idOf(a), await idOf(b)];
      // Every broadcast a socket received, in order (ask() skips frames, `frames` keeps them all).
      const heard = (socket: typeof a) => socket.receivedJson().filter((f) => f.type === "broadcast").map((f) => f.data);

      expect(await ctx.rt.hibernate("probe", name)).toBe(true);
      // The new instance has seen only a (the sender), not b: b is found by its attachment.
      await ctx.ask(a, { cmd: "broadcast", data: "not to b", except: [idB] });
      // Now both a and b have been seen; an id of no connection changes nothing.
      await ctx.ask(b, { cmd: "whoami" });
      await ctx.ask(a, { cmd: "broadcast", data: "not to a or b", except: [idA, idB, "no-such-connection"] });
      await ctx.ask(b, { cmd: "broadcast", data: "not to b again", except: [idB] });
      await c.nextMatching((f) => f.data === "not to b again");
      await new Promise((resolve) => setTimeout(resolve, 100));

      expect(heard(a)).toEqual(["not to b", "not to b again"]);
      expect(heard(b)).toEqual([]);
      expect(heard(c)).toEqual(["not to b", "not to a or b", "not to b again"]);
      for (const socket of [a, b, c]) socket.close();
    });

    it("catches the article's bug: a room that keeps sockets in a Set loses broadcasts after hibernation", async () => {
      const name = roomName("leaky");
      const [a, b] = await openMany(ctx.rt.url, `/leaky/${name}/ws`, 2);
      a!.send("before");
      expect(await b!.nextText()).toBe("before");
      expect(await a!.next()).toEqual({ type: "sent", to: 1 });

      expect(await ctx.rt.hibernate("leaky", name)).toBe(true);

      a!.send("after");
      expect(await a!.next()).toEqual({ type: "sent", to: 0 });
      await b!.expectSilence(200);
      a!.close();
      b!.close();
    });

    it("answers the heartbeat without waking the room", async () => {
      const name = roomName("beat");
      const a = await ctx.probe(name);
      await ctx.ask(a, { cmd: "stats" });
      expect(await ctx.rt.hibernate("probe", name)).toBe(true);
      for (let i = 0; i < 3; i++) {
        a.send("ping");
        expect(await a.nextText()).toBe("pong");
      }
      // Still hibernated: there is no instance to evict.
      expect(await ctx.rt.hibernate("probe", name)).toBe(false);
      a.close();
    });
  });
}
