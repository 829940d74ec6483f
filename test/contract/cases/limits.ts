import { serialize } from "node:v8";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestClient } from "../../support/client.ts";
import type { RunningRuntime } from "roomkit/testing";
import { roomName, type SuiteContext } from "../context.ts";

export function limitsCases(ctx: SuiteContext): void {
  describe("limits and bad input", () => {
    // One instance with small limits, so each one is cheap to reach.
    let limited: RunningRuntime;
    beforeAll(async () => {
      limited = await ctx.handle.start({
        env: {
          ROOMKIT_MAX_MESSAGE_BYTES: "8192",
          ROOMKIT_MAX_CONNECTIONS: "3",
          ROOMKIT_RATE_LIMIT: "5/8",
          ROOMKIT_ALLOWED_ORIGINS: "https://good.example",
          ROOMKIT_CHAT_RETENTION: "5",
          ROOMKIT_MAX_STATE_BYTES: "1024",
        },
      });
    });
    afterAll(async () => {
      await limited?.stop();
    });
    const chat = (name: string, query = "") => TestClient.open(limited.url, `/rooms/${name}/ws${query}`);

    it("closes a socket that sends a frame over maxMessageBytes with 1009; others and storage are unaffected", async () => {
      const name = roomName("big");
      const [big, watcher] = [await chat(name), await chat(name, "?roomkit=1")];
      await watcher.next(); // synced
      big.send({ user: "ann", message: "x".repeat(9000) });
      const closed = await big.closed;
      expect(closed.code).toBe(1009);
      expect(closed.reason).not.toBe("");
      watcher.send({ user: "w", message: "still here" });
      expect(await watcher.next()).toMatchObject({ type: "ack", seq: 1 });
      watcher.close();
    });

    it("refuses a connection past maxConnectionsPerRoom with HTTP 503 before the upgrade", async () => {
      const name = roomName("full");
      const clients = [await chat(name), await chat(name), await chat(name)];
      const refusal = await TestClient.refusal(limited.url, `/rooms/${name}/ws`);
      expect(refusal.status).toBe(503);
      expect(refusal.body).toMatch(/full/);
      clients[0]!.close();
      await clients[0]!.closed;
      await expect.poll(async () => TestClient.open(limited.url, `/rooms/${name}/ws`).then((c) => (c.close(), true), () => false)).toBe(true);
      for (const client of clients) client.close();
    });

    it("counts a room's connections again after it hibernated: full stays full, a freed place is taken", async () => {
      const name = roomName("full-hib");
      const clients = [await chat(name), await chat(name), await chat(name)];
      expect(await limited.hibernate("chat", name)).toBe(true);
      const refusal = await TestClient.refusal(limited.url, `/rooms/${name}/ws`);
      expect(refusal.status).toBe(503);
      expect(refusal.body).toMatch(/full/);
      clients[1]!.close();
      await clients[1]!.closed;
      expect(await limited.hibernate("chat", name)).toBe(true);
      let late: TestClient | undefined;
      await expect.poll(async () => TestClient.open(limited.url, `/rooms/${name}/ws`).then((c) => ((late = c), true), () => false)).toBe(true);
      expect((await TestClient.refusal(limited.url, `/rooms/${name}/ws`)).status).toBe(503);
      for (const client of [...clients, late!]) client.close();
    });

    it("rate-limits each connection: error frames for extended clients, silent drops for article clients, 1008 for abuse", async () => {
      const name = roomName("rate");
      const extended = await chat(name, "?roomkit=1");
      const article = await chat(name);
      const watcher = await chat(name);
      await extended.next(); // synced
      for (let i = 0; i < 10; i++) extended.send({ user: "e", message: `e${i}` });
      const answers = [];
      for (let i = 0; i < 10; i++) answers.push(await extended.next());
      expect(answers.filter((f) => f.type === "ack")).toHaveLength(8);
      expect(answers.filter((f) => f.type === "error" && f.code === "rate_limited")).toHaveLength(2);
      for (let i = 0; i < 10; i++) article.send({ user: "a", message: `a${i}` });
      const received = [];
      while (received.filter((f) => f.user === "a").length < 8) received.push(await watcher.next());
      await watcher.expectSilence(150);
      // The article client saw the extended client's messages, and never a frame of another shape.
      expect(article.pending().length).toBeGreaterThan(0);
      expect(article.pendingJson().every((f) => typeof f.user === "string" && typeof f.message === "string")).toBe(true);
      // Keep hammering: a full burst of refused messages is abuse.
      for (let i = 0; i < 40; i++) article.send({ user: "a", message: `x${i}` });
      expect((await article.closed).code).toBe(1008);
      expect(watcher.isOpen).toBe(true);
      extended.close();
      watcher.close();
    });

    it("refuses a browser upgrade from a foreign Origin with 403, and allows listed, same-origin and Origin-less ones", async () => {
      const name = roomName("origin");
      const refusal = await TestClient.refusal(limited.url, `/rooms/${name}/ws`, { Origin: "https://evil.example" });
      expect(refusal.status).toBe(403);
      expect(refusal.body).toMatch(/evil\.example/);
      (await TestClient.open(limited.url, `/rooms/${name}/ws`, { Origin: "https://good.example" })).close();
      (await TestClient.open(limited.url, `/rooms/${name}/ws`, { Origin: limited.url })).close();
      (await TestClient.open(limited.url, `/rooms/${name}/ws`)).close();
    });

    it("validates chat messages: error frames for extended clients, drops for article clients, nothing stored or relayed", async () => {
      const name = roomName("valid");
      const extended = await chat(name, "?roomkit=1");
      const article = await chat(name);
      await extended.next(); // synced
      const bad = ["not json", "[1,2]", '{"user":1,"message":"x"}', '{"user":"u","message":"   "}', JSON.stringify({ user: "u".repeat(65), message: "x" }), JSON.stringify({ user: "u", message: "m".repeat(4097) })];
      for (const frame of bad) {
        extended.send(frame);
        expect(await extended.next()).toMatchObject({ type: "error", code: "invalid_message" });
      }
      for (const frame of bad) article.send(frame);
      article.send({ user: "  ann  ", message: " ok " });
      expect(await extended.next()).toEqual(expect.objectContaining({ user: "ann", message: "ok", seq: 1 }));
      await article.expectSilence(100);
      const late = await chat(name);
      expect(await late.next()).toMatchObject({ user: "ann", message: "ok", seq: 1 });
      await late.expectSilence(100);
      for (const client of [extended, article, late]) client.close();
    });

    it("enforces a lowered maxStateBytes, measured as V8 serializes the attachment, on setState and on the first state", async () => {
      const name = roomName("state");
      const a = await TestClient.open(limited.url, `/probe/${name}/ws`);
      const { id } = await ctx.ask(a, { cmd: "whoami" });
      // The attachment is { id, tags, state }: find the state that makes it exactly 1024 bytes.
      const size = (text: string) => serialize({ id, tags: [], state: { text } }).length;
      let text = "";
      while (size(text + "é") <= 1024) text += "é";
      while (size(text + "x") <= 1024) text += "x";
      expect(size(text)).toBe(1024);
      expect(await ctx.ask(a, { cmd: "setState", state: { text } })).toMatchObject({ ok: true });
      const refused = await ctx.ask(a, { cmd: "setState", state: { text: text + "x" } });
      expect(refused).toMatchObject({ ok: false, code: "STATE_TOO_LARGE" });
      expect(refused.message).toContain(`connection attachment is ${size(text + "x")} bytes serialized; the limit is 1024 bytes`);
      expect(await ctx.ask(a, { cmd: "whoami" })).toMatchObject({ state: { text } });
      // A first state (from onBeforeConnect) over the limit refuses the upgrade.
      const first = encodeURIComponent(JSON.stringify({ text: "x".repeat(1100) }));
      const refusal = await TestClient.refusal(limited.url, `/probe/${name}/ws?state=${first}`);
      expect(refusal.status).toBe(400);
      expect(refusal.body).toMatch(/STATE_TOO_LARGE.*the limit is 1024 bytes/);
      a.close();
    });

    it("closes a binary frame to the chat with 1003", async () => {
      const client = await chat(roomName("binary"));
      client.send(new Uint8Array([1, 2, 3]));
      expect((await client.closed).code).toBe(1003);
    });

    it("prunes history to the retention bound and reports a gap to resuming extended clients", async () => {
      const name = roomName("retain");
      const sender = await chat(name, "?roomkit=1");
      await sender.next();
      for (let i = 1; i <= 8; i++) {
        sender.send({ user: "s", message: `m${i}` });
        expect(await sender.next()).toMatchObject({ type: "ack", seq: i });
      }
      const late = await chat(name);
      const seqs = [];
      for (let i = 0; i < 5; i++) seqs.push((await late.next()).seq);
      expect(seqs).toEqual([4, 5, 6, 7, 8]);
      const resumed = await chat(name, "?roomkit=1&since=1");
      expect(await resumed.next()).toEqual({ type: "gap", from: 2, to: 3 });
      expect((await resumed.next()).seq).toBe(4);
      for (const client of [sender, late, resumed]) client.close();
    });

    it("isolates a fault in room code: logged, passed to onError, only the offending socket closed with 1011", async () => {
      const name = roomName("fault");
      const [bad, good] = [await TestClient.open(limited.url, `/probe/${name}/ws`), await TestClient.open(limited.url, `/probe/${name}/ws`)];
      const { id } = await ctx.ask(bad, { cmd: "whoami" });
      bad.send({ cmd: "throw" });
      expect((await bad.closed).code).toBe(1011);
      expect(await good.nextMatching((f) => f.type === "onError")).toMatchObject({ connection: id, message: "onMessage failed on purpose" });
      const again = await TestClient.open(limited.url, `/probe/${name}/ws`);
      again.send({ cmd: "reject" });
      expect((await again.closed).code).toBe(1011);
      const failsOnConnect = await TestClient.open(limited.url, `/probe/${name}/ws?throwOnConnect=1`);
      expect((await failsOnConnect.closed).code).toBe(1011);
      expect((await ctx.ask(good, { cmd: "stats" })).connections).toBe(1);

      // Faults with no socket to blame (onClose, onAlarm) reach onError and close nothing.
      const leaving = await TestClient.open(limited.url, `/probe/${name}/ws`);
      await ctx.ask(leaving, { cmd: "setState", state: { throwOnClose: true } });
      const leavingId = (await ctx.ask(leaving, { cmd: "whoami" })).id;
      leaving.close(1000, "bye");
      expect(await good.nextMatching((f) => f.type === "onError")).toMatchObject({ connection: leavingId, message: "onClose failed on purpose" });
      await ctx.ask(good, { cmd: "kv.put", key: "alarm.throw", value: true });
      await ctx.ask(good, { cmd: "alarm.set", inMs: 50 });
      // The room broadcasts onError to everyone but the blamed connection: here there is none.
      expect(await good.nextMatching((f) => f.type === "onError", 15_000)).toMatchObject({ connection: null, message: "onAlarm failed on purpose" });
      expect(good.isOpen).toBe(true);
      expect((await ctx.ask(good, { cmd: "stats" })).connections).toBe(1);
      good.close();
    });
  });
}
