import { describe, expect, it } from "vitest";
import { TestClient } from "../../support/client.ts";
import { roomName, type SuiteContext } from "../context.ts";

export function connectionsCases(ctx: SuiteContext): void {
  describe("connections", () => {
    it("counts joins and leaves through connections()", async () => {
      const name = roomName("count");
      const a = await ctx.probe(name);
      expect((await ctx.ask(a, { cmd: "stats" })).connections).toBe(1);
      const [b, c] = [await ctx.probe(name), await ctx.probe(name)];
      const stats = await ctx.ask(a, { cmd: "stats" });
      expect(stats.connections).toBe(3);
      expect(stats.listed).toHaveLength(3);
      c.close();
      expect(await a.nextMatching((f) => f.type === "closed")).toMatchObject({ remaining: 2 });
      expect((await ctx.ask(a, { cmd: "stats" })).connections).toBe(2);
      a.close();
      b.close();
    });

    it("passes the close code and reason to onClose", async () => {
      const name = roomName("close");
      const a = await ctx.probe(name);
      const b = await ctx.probe(name);
      const { id } = await ctx.ask(a, { cmd: "whoami" });
      a.close(4001, "gone fishing");
      expect(await b.nextMatching((f) => f.type === "closed")).toMatchObject({ id, code: 4001, reason: "gone fishing" });
      b.close();
    });

    it("closes from the room side with the room's code and reason", async () => {
      const a = await ctx.probe(roomName("room-close"));
      a.send({ cmd: "close", code: 4002, reason: "room says bye" });
      expect(await a.closed).toEqual({ code: 4002, reason: "room says bye" });
    });

    it("treats an unsendable close code from room code as a fault of the room (1011), not a silent no-op", async () => {
      const a = await ctx.probe(roomName("bad-close"));
      a.send({ cmd: "close", code: 1005, reason: "reserved code" });
      expect((await a.closed).code).toBe(1011);
    });

    it("gives each connection its tags and initial state from onBeforeConnect", async () => {
      const name = roomName("tags");
      const a = await ctx.probe(name, `?tags=red,blue&state=${encodeURIComponent(JSON.stringify({ n: 1 }))}`);
      const b = await ctx.probe(name, "?tags=blue");
      expect(await ctx.ask(a, { cmd: "whoami" })).toMatchObject({ tags: ["red", "blue"], state: { n: 1 } });
      expect((await ctx.ask(a, { cmd: "stats", tag: "blue" })).connections).toBe(2);
      expect((await ctx.ask(a, { cmd: "stats", tag: "red" })).connections).toBe(1);
      await ctx.ask(b, { cmd: "broadcast", data: "reds only", tag: "red", includeSelf: true });
      expect(await a.nextMatching((f) => f.type === "broadcast")).toMatchObject({ data: "reds only" });
      await b.expectSilence(100);
      a.close();
      b.close();
    });

    it("takes the room, tags and state from the route and the auth hook, never from a header the client sends", async () => {
      // On Cloudflare the Worker hands the target to the room object in a header of its own: a
      // client sending that header must not choose its room, tags or state.
      const name = roomName("forged");
      const forged = JSON.stringify({ type: "probe", name: "elsewhere", init: { tags: ["admin"], state: { role: "admin" }, extended: true } });
      const a = await TestClient.open(ctx.rt.url, `/probe/${name}/ws?tags=blue`, { "x-roomkit-target": forged });
      expect(await ctx.ask(a, { cmd: "whoami" })).toMatchObject({ tags: ["blue"], state: null });
      expect(await ctx.ask(a, { cmd: "stats" })).toMatchObject({ name, connections: 1 });
      // And a connection the auth hook gave nothing (no tags, no state), whose request Cloudflare's
      // Worker otherwise forwards as the client sent it.
      const b = await TestClient.open(ctx.rt.url, `/probe/${name}/ws`, { "x-roomkit-target": forged });
      expect(await ctx.ask(b, { cmd: "whoami" })).toMatchObject({ tags: [], state: null });
      expect(await ctx.ask(b, { cmd: "stats" })).toMatchObject({ name, connections: 2 });
      a.close();
      b.close();
    });

    it("refuses more than 10 tags or a tag over 256 characters with 400", async () => {
      const eleven = Array.from({ length: 11 }, (_, i) => `t${i}`).join(",");
      expect((await TestClient.refusal(ctx.rt.url, `/probe/${roomName("t")}/ws?tags=${eleven}`)).status).toBe(400);
      expect((await TestClient.refusal(ctx.rt.url, `/probe/${roomName("t")}/ws?tags=${"x".repeat(257)}`)).status).toBe(400);
      const ten = Array.from({ length: 10 }, (_, i) => `t${i}`).join(",");
      (await ctx.probe(roomName("t"), `?tags=${ten},`.replace(/,$/, ""))).close();
    });

    it("refuses state past 16 KiB with a typed error, keeping the old state", async () => {
      const a = await ctx.probe(roomName("big"));
      expect(await ctx.ask(a, { cmd: "setState", state: { small: true } })).toMatchObject({ ok: true });
      const refused = await ctx.ask(a, { cmd: "setState", state: { big: "x".repeat(17_000) } });
      expect(refused).toMatchObject({ ok: false, code: "STATE_TOO_LARGE" });
      expect(refused.message).toMatch(/16384/);
      expect(await ctx.ask(a, { cmd: "whoami" })).toMatchObject({ state: { small: true } });
      a.close();
    });

    it("refuses a connection in onBeforeConnect with the hook's own response", async () => {
      const refusal = await TestClient.refusal(ctx.rt.url, `/probe/${roomName("deny")}/ws?deny=1`);
      expect(refusal).toEqual({ status: 401, body: "denied by onBeforeConnect" });
    });

    it("delivers binary frames to the room as ArrayBuffer", async () => {
      const a = await ctx.probe(roomName("bin"));
      a.send(new Uint8Array([1, 2, 3, 4, 5]));
      expect(await a.next()).toEqual({ type: "binary", bytes: 5, isArrayBuffer: true });
      a.close();
    });
  });
}
