import { describe, expect, it } from "vitest";
import { TestClient } from "../../support/client.ts";
import { roomName, type SuiteContext } from "../context.ts";

export function historyCases(ctx: SuiteContext): void {
  describe("chat history and resume", () => {
    it("sends recent history, with seq, to a client that joins later", async () => {
      const path = `/rooms/${roomName("hist")}/ws`;
      const a = await TestClient.open(ctx.rt.url, path);
      for (let i = 1; i <= 3; i++) a.send({ user: "ann", message: `m${i}` });
      const b = await TestClient.open(ctx.rt.url, path + "?roomkit=1");
      // b may join before all three are stored: wait until it has seen m3 one way or the other.
      const seen: any[] = [];
      while (!seen.some((f) => f.message === "m3")) seen.push(await b.next());
      const messages = seen.filter((f) => f.user);
      expect(messages.map((f) => [f.seq, f.message])).toEqual([[1, "m1"], [2, "m2"], [3, "m3"]]);
      const late = await TestClient.open(ctx.rt.url, path);
      expect([await late.next(), await late.next(), await late.next()].map((f) => f.message)).toEqual(["m1", "m2", "m3"]);
      for (const client of [a, b, late]) client.close();
    });

    it("resumes with ?since=<seq>: exactly the later messages, in order, while others keep sending", async () => {
      const path = `/rooms/${roomName("resume")}/ws`;
      const sender = await TestClient.open(ctx.rt.url, path);
      const reader = await TestClient.open(ctx.rt.url, path);
      for (let i = 1; i <= 10; i++) sender.send({ user: "s", message: `m${i}` });
      const seen: number[] = [];
      while (seen.length < 10) seen.push((await reader.next()).seq);
      expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      reader.close();
      await reader.closed;
      // Keep sending while the reader is away and while it reconnects.
      // (45 in all: within the default rate limit's burst of 50.)
      for (let i = 11; i <= 30; i++) sender.send({ user: "s", message: `m${i}` });
      const resumed = await TestClient.open(ctx.rt.url, `${path}?since=10`);
      for (let i = 31; i <= 45; i++) sender.send({ user: "s", message: `m${i}` });
      const after: number[] = [];
      while (after.length < 35) after.push((await resumed.next()).seq);
      expect(after).toEqual(Array.from({ length: 35 }, (_, i) => i + 11));
      await resumed.expectSilence(100);
      sender.close();
      resumed.close();
    });

    it("a joiner gets the newest 50 messages, retried ones once, the same before and after hibernation", async () => {
      const name = roomName("hist-window");
      const path = `/rooms/${name}/ws`;
      // Joined before any message: the room answers later joins from what it stored since.
      const [s1, s2] = [await TestClient.open(ctx.rt.url, `${path}?roomkit=1`), await TestClient.open(ctx.rt.url, `${path}?roomkit=1`)];
      for (const sender of [s1, s2]) expect(await sender.next()).toEqual({ type: "synced", seq: 0 });
      // Two senders, 30 each: within the default rate limit's burst per connection.
      for (let i = 1; i <= 30; i++) {
        s1.send({ user: "one", message: `a${i}`, cid: `a${i}` });
        if (i === 30) s1.send({ user: "one", message: `a${i}`, cid: `a${i}` }); // a retry: stored once
        s2.send({ user: "two", message: `b${i}` });
      }
      const acks = async (sender: TestClient, count: number) => {
        const seqs: number[] = [];
        while (seqs.length < count) {
          const frame = await sender.next();
          if (frame.type === "ack") seqs.push(frame.seq);
        }
        return seqs;
      };
      const acked = [...(await acks(s1, 31)), ...(await acks(s2, 30))];
      expect(new Set(acked).size).toBe(60);
      const history = async () => {
        const late = await TestClient.open(ctx.rt.url, path);
        const frames = [];
        for (let i = 0; i < 50; i++) frames.push(await late.next());
        await late.expectSilence(100);
        late.close();
        return frames.map((f) => [f.seq, f.message]);
      };
      const before = await history();
      expect(before.map(([seq]) => seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 11));
      expect(before.filter(([, message]) => message === "a30")).toHaveLength(1);
      expect(await ctx.rt.hibernate("chat", name)).toBe(true);
      expect(await history()).toEqual(before);
      s1.close();
      s2.close();
    });

    it("keeps history across hibernation, and seq keeps counting", async () => {
      const name = roomName("hist-hib");
      const a = await TestClient.open(ctx.rt.url, `/rooms/${name}/ws?roomkit=1`);
      expect(await a.next()).toEqual({ type: "synced", seq: 0 });
      a.send({ user: "ann", message: "before" });
      expect(await a.next()).toMatchObject({ type: "ack", seq: 1 });
      expect(await ctx.rt.hibernate("chat", name)).toBe(true);
      a.send({ user: "ann", message: "after" });
      expect(await a.next()).toMatchObject({ type: "ack", seq: 2 });
      const late = await TestClient.open(ctx.rt.url, `/rooms/${name}/ws`);
      expect([(await late.next()).message, (await late.next()).message]).toEqual(["before", "after"]);
      a.close();
      late.close();
    });
  });
}
