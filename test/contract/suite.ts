// THE contract suite: one factory, run once per runtime over real sockets. A test that cannot run
// on a runtime says so through a capability flag of the handle — never a silent skip.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestClient, openMany } from "../support/client.ts";
import type { RunningRuntime, RuntimeHandle } from "../runtimes/handle.ts";

let counter = 0;
/** A fresh room name per test, so tests share one server without sharing rooms. */
export const roomName = (label: string) => `${label}-${process.pid}-${++counter}-${Math.random().toString(36).slice(2, 8)}`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function contractSuite(handle: RuntimeHandle): void {
  describe(`contract: ${handle.name}`, () => {
    let rt: RunningRuntime;
    beforeAll(async () => {
      rt = await handle.start();
    });
    afterAll(async () => {
      await rt?.stop();
    });

    const probe = (name: string, query = "") => TestClient.open(rt.url, `/probe/${name}/ws${query}`);
    const ask = async (client: TestClient, command: object) => {
      client.send(command);
      return client.nextMatching((frame) => frame.re === (command as { cmd: string }).cmd);
    };

    describe("routing", () => {
      it("answers a plain GET on a socket route with 426", async () => {
        for (const path of ["/ws", "/rooms/lobby/ws"]) {
          const response = await fetch(rt.url + path);
          expect(response.status).toBe(426);
          expect(await response.text()).toBe("Expected a WebSocket upgrade request.");
        }
      });

      it("refuses bad room names with 400 before any room exists", async () => {
        for (const bad of ["a%2Fb", "%20", "x".repeat(129), "caf%C3%A9", "a%00b"]) {
          const refusal = await TestClient.refusal(rt.url, `/rooms/${bad}/ws`);
          expect(refusal.status, bad).toBe(400);
          expect(refusal.body).toMatch(/room name/i);
        }
        const ok = await TestClient.open(rt.url, `/rooms/${"x".repeat(128)}/ws`);
        ok.close();
      });

      it("serves the chat page at /", async () => {
        const response = await fetch(rt.url + "/");
        expect(response.status).toBe(200);
        expect(response.headers.get("content-type")).toMatch(/text\/html/);
        expect(await response.text()).toMatch(/<html/);
      });
    });

    describe("chat (the article's protocol)", () => {
      it("sends a message to every other client in the article's shape, never back to the sender", async () => {
        const name = roomName("chat");
        const [a, b, c] = await openMany(rt.url, `/rooms/${name}/ws`, 3);
        const before = Date.now();
        a!.send({ user: "ann", message: "hello" });
        for (const other of [b!, c!]) {
          const frame = await other.next();
          expect(frame).toMatchObject({ user: "ann", message: "hello", seq: 1 });
          expect(frame.timestamp).toBeGreaterThanOrEqual(before - 1000);
          expect(frame.timestamp).toBeLessThanOrEqual(Date.now() + 1000);
        }
        await a!.expectSilence(150);
        for (const client of [a, b, c]) client!.close();
      });

      it("serves /ws as the room global-chat-room", async () => {
        const a = await TestClient.open(rt.url, "/ws");
        const b = await TestClient.open(rt.url, "/rooms/global-chat-room/ws");
        const text = `same room ${Math.random()}`;
        a.send({ user: "ann", message: text });
        expect(await b.nextMatching((f) => f.message === text)).toMatchObject({ user: "ann" });
        a.close();
        b.close();
      });

      it("keeps rooms isolated", async () => {
        const [a1, a2] = await openMany(rt.url, `/rooms/${roomName("iso-a")}/ws`, 2);
        const [b1] = await openMany(rt.url, `/rooms/${roomName("iso-b")}/ws`, 1);
        a1!.send({ user: "ann", message: "only for room a" });
        expect(await a2!.next()).toMatchObject({ message: "only for room a" });
        await b1!.expectSilence(200);
        for (const client of [a1, a2, b1]) client!.close();
      });

      it("delivers to every one of 60 clients in one room", async () => {
        const name = roomName("many");
        const clients = await openMany(rt.url, `/rooms/${name}/ws`, 60);
        clients[0]!.send({ user: "ann", message: "to all" });
        const frames = await Promise.all(clients.slice(1).map((client) => client.next()));
        expect(frames).toHaveLength(59);
        for (const frame of frames) expect(frame).toMatchObject({ user: "ann", message: "to all" });
        await clients[0]!.expectSilence(100);
        for (const client of clients) client.close();
      });
    });

    describe("connections", () => {
      it("counts joins and leaves through connections()", async () => {
        const name = roomName("count");
        const a = await probe(name);
        expect((await ask(a, { cmd: "stats" })).connections).toBe(1);
        const [b, c] = [await probe(name), await probe(name)];
        const stats = await ask(a, { cmd: "stats" });
        expect(stats.connections).toBe(3);
        expect(stats.listed).toHaveLength(3);
        c.close();
        expect(await a.nextMatching((f) => f.type === "closed")).toMatchObject({ remaining: 2 });
        expect((await ask(a, { cmd: "stats" })).connections).toBe(2);
        a.close();
        b.close();
      });

      it("passes the close code and reason to onClose", async () => {
        const name = roomName("close");
        const a = await probe(name);
        const b = await probe(name);
        const { id } = await ask(a, { cmd: "whoami" });
        a.close(4001, "gone fishing");
        expect(await b.nextMatching((f) => f.type === "closed")).toMatchObject({ id, code: 4001, reason: "gone fishing" });
        b.close();
      });

      it("closes from the room side with the room's code and reason", async () => {
        const a = await probe(roomName("room-close"));
        a.send({ cmd: "close", code: 4002, reason: "room says bye" });
        expect(await a.closed).toEqual({ code: 4002, reason: "room says bye" });
      });

      it("gives each connection its tags and initial state from onBeforeConnect", async () => {
        const name = roomName("tags");
        const a = await probe(name, `?tags=red,blue&state=${encodeURIComponent(JSON.stringify({ n: 1 }))}`);
        const b = await probe(name, "?tags=blue");
        expect(await ask(a, { cmd: "whoami" })).toMatchObject({ tags: ["red", "blue"], state: { n: 1 } });
        expect((await ask(a, { cmd: "stats", tag: "blue" })).connections).toBe(2);
        expect((await ask(a, { cmd: "stats", tag: "red" })).connections).toBe(1);
        await ask(b, { cmd: "broadcast", data: "reds only", tag: "red", includeSelf: true });
        expect(await a.nextMatching((f) => f.type === "broadcast")).toMatchObject({ data: "reds only" });
        await b.expectSilence(100);
        a.close();
        b.close();
      });

      it("refuses more than 10 tags or a tag over 256 characters with 400", async () => {
        const eleven = Array.from({ length: 11 }, (_, i) => `t${i}`).join(",");
        expect((await TestClient.refusal(rt.url, `/probe/${roomName("t")}/ws?tags=${eleven}`)).status).toBe(400);
        expect((await TestClient.refusal(rt.url, `/probe/${roomName("t")}/ws?tags=${"x".repeat(257)}`)).status).toBe(400);
        const ten = Array.from({ length: 10 }, (_, i) => `t${i}`).join(",");
        (await probe(roomName("t"), `?tags=${ten},`.replace(/,$/, ""))).close();
      });

      it("refuses state past 16 KiB with a typed error, keeping the old state", async () => {
        const a = await probe(roomName("big"));
        expect(await ask(a, { cmd: "setState", state: { small: true } })).toMatchObject({ ok: true });
        const refused = await ask(a, { cmd: "setState", state: { big: "x".repeat(17_000) } });
        expect(refused).toMatchObject({ ok: false, code: "STATE_TOO_LARGE" });
        expect(refused.message).toMatch(/16384/);
        expect(await ask(a, { cmd: "whoami" })).toMatchObject({ state: { small: true } });
        a.close();
      });

      it("refuses a connection in onBeforeConnect with the hook's own response", async () => {
        const refusal = await TestClient.refusal(rt.url, `/probe/${roomName("deny")}/ws?deny=1`);
        expect(refusal).toEqual({ status: 401, body: "denied by onBeforeConnect" });
      });

      it("delivers binary frames to the room as ArrayBuffer", async () => {
        const a = await probe(roomName("bin"));
        a.send(new Uint8Array([1, 2, 3, 4, 5]));
        expect(await a.next()).toEqual({ type: "binary", bytes: 5, isArrayBuffer: true });
        a.close();
      });
    });

    describe("storage", () => {
      it("round-trips key–value pairs by structured clone, single and batch", async () => {
        const a = await probe(roomName("kv"));
        const value = { n: 1, list: [1, "two", null], nested: { ok: true }, big: 2 ** 40 };
        await ask(a, { cmd: "kv.put", key: "k1", value });
        expect((await ask(a, { cmd: "kv.get", key: "k1" })).value).toEqual(value);
        expect((await ask(a, { cmd: "kv.get", key: "missing" })).value).toBeNull();
        await ask(a, { cmd: "kv.putMany", entries: { b: 2, a: 1, c: 3 } });
        expect((await ask(a, { cmd: "kv.getMany", keys: ["c", "a", "zz"] })).entries).toEqual([["a", 1], ["c", 3]]);
        expect((await ask(a, { cmd: "kv.delete", key: "k1" })).deleted).toBe(true);
        expect((await ask(a, { cmd: "kv.delete", key: "k1" })).deleted).toBe(false);
        expect((await ask(a, { cmd: "kv.deleteMany", keys: ["a", "b", "nope"] })).deleted).toBe(2);
        expect((await ask(a, { cmd: "kv.list" })).entries).toEqual([["c", 3]]);
        a.close();
      });

      it("lists keys in order, with prefix, start, end, limit and reverse", async () => {
        const a = await probe(roomName("list"));
        const keys = ["user:b", "user:a", "user:c", "userx", "post:1", "user:", "a", "Z", "é"];
        await ask(a, { cmd: "kv.putMany", entries: Object.fromEntries(keys.map((k) => [k, k])) });
        const list = async (options: object) => (await ask(a, { cmd: "kv.list", options })).entries.map(([k]: [string]) => k);
        expect(await list({})).toEqual(["Z", "a", "post:1", "user:", "user:a", "user:b", "user:c", "userx", "é"]);
        expect(await list({ prefix: "user:" })).toEqual(["user:", "user:a", "user:b", "user:c"]);
        expect(await list({ prefix: "user:", reverse: true, limit: 2 })).toEqual(["user:c", "user:b"]);
        expect(await list({ start: "post:1", end: "user:b" })).toEqual(["post:1", "user:", "user:a"]);
        expect(await list({ start: "user:a", limit: 2 })).toEqual(["user:a", "user:b"]);
        expect(await list({ prefix: "nothing" })).toEqual([]);
        a.close();
      });

      it("runs SQL with bound parameters, and rolls back a failed transaction", async () => {
        const a = await probe(roomName("sql"));
        await ask(a, { cmd: "sql", query: "CREATE TABLE t (id INTEGER PRIMARY KEY, label TEXT, score REAL)" });
        await ask(a, { cmd: "sql", query: "INSERT INTO t (label, score) VALUES (?, ?), (?, ?)", bindings: ["x", 1.5, "y", null] });
        expect((await ask(a, { cmd: "sql", query: "SELECT * FROM t WHERE label = ?", bindings: ["x"] })).rows).toEqual([{ id: 1, label: "x", score: 1.5 }]);
        expect((await ask(a, { cmd: "sql", query: "SELECT count(*) AS n FROM t" })).rows).toEqual([{ n: 2 }]);
        const failed = await ask(a, { cmd: "sql.tx", fail: true, statements: [["INSERT INTO t (label) VALUES (?)", "rolled"]] });
        expect(failed.ok).toBe(false);
        expect((await ask(a, { cmd: "sql", query: "SELECT count(*) AS n FROM t" })).rows).toEqual([{ n: 2 }]);
        expect(await ask(a, { cmd: "sql.tx", statements: [["INSERT INTO t (label) VALUES (?)", "kept"]] })).toMatchObject({ ok: true });
        expect((await ask(a, { cmd: "sql", query: "SELECT label FROM t ORDER BY id" })).rows.map((r: any) => r.label)).toEqual(["x", "y", "kept"]);
        expect((await ask(a, { cmd: "sql", query: "SELEKT nonsense" })).error).toMatch(/syntax/i);
        a.close();
      });

      it("keeps storage and the pending alarm across hibernation", async () => {
        const name = roomName("keep");
        const a = await probe(name);
        await ask(a, { cmd: "kv.put", key: "kept", value: "yes" });
        const { at } = await ask(a, { cmd: "alarm.set", inMs: 60_000 });
        await rt.hibernate(name, "probe");
        expect((await ask(a, { cmd: "kv.get", key: "kept" })).value).toBe("yes");
        expect((await ask(a, { cmd: "alarm.get" })).at).toBe(at);
        expect((await ask(a, { cmd: "alarm.delete" })).at).toBeNull();
        a.close();
      });

      it("fires an alarm set before hibernation, waking the room", async () => {
        const name = roomName("alarm");
        const a = await probe(name);
        const before = await ask(a, { cmd: "stats" });
        await ask(a, { cmd: "alarm.set", inMs: 1500 });
        await rt.hibernate(name, "probe");
        const fired = await a.nextMatching((f) => f.type === "alarm", 15_000);
        expect(fired.fired).toBe(1);
        expect(fired.instance).toBe(before.instance + 1);
        expect((await ask(a, { cmd: "alarm.get" })).at).toBeNull();
        a.close();
      });
    });

    describe("chat history and resume", () => {
      it("sends recent history, with seq, to a client that joins later", async () => {
        const path = `/rooms/${roomName("hist")}/ws`;
        const a = await TestClient.open(rt.url, path);
        for (let i = 1; i <= 3; i++) a.send({ user: "ann", message: `m${i}` });
        const b = await TestClient.open(rt.url, path + "?roomkit=1");
        // b may join before all three are stored: wait until it has seen m3 one way or the other.
        const seen: any[] = [];
        while (!seen.some((f) => f.message === "m3")) seen.push(await b.next());
        const messages = seen.filter((f) => f.user);
        expect(messages.map((f) => [f.seq, f.message])).toEqual([[1, "m1"], [2, "m2"], [3, "m3"]]);
        const late = await TestClient.open(rt.url, path);
        expect([await late.next(), await late.next(), await late.next()].map((f) => f.message)).toEqual(["m1", "m2", "m3"]);
        for (const client of [a, b, late]) client.close();
      });

      it("resumes with ?since=<seq>: exactly the later messages, in order, while others keep sending", async () => {
        const path = `/rooms/${roomName("resume")}/ws`;
        const sender = await TestClient.open(rt.url, path);
        const reader = await TestClient.open(rt.url, path);
        for (let i = 1; i <= 10; i++) sender.send({ user: "s", message: `m${i}` });
        const seen: number[] = [];
        while (seen.length < 10) seen.push((await reader.next()).seq);
        expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        reader.close();
        await reader.closed;
        // Keep sending while the reader is away and while it reconnects.
        // (45 in all: within the default rate limit's burst of 50.)
        for (let i = 11; i <= 30; i++) sender.send({ user: "s", message: `m${i}` });
        const resumed = await TestClient.open(rt.url, `${path}?since=10`);
        for (let i = 31; i <= 45; i++) sender.send({ user: "s", message: `m${i}` });
        const after: number[] = [];
        while (after.length < 35) after.push((await resumed.next()).seq);
        expect(after).toEqual(Array.from({ length: 35 }, (_, i) => i + 11));
        await resumed.expectSilence(100);
        sender.close();
        resumed.close();
      });

      it("keeps history across hibernation, and seq keeps counting", async () => {
        const name = roomName("hist-hib");
        const a = await TestClient.open(rt.url, `/rooms/${name}/ws?roomkit=1`);
        expect(await a.next()).toEqual({ type: "synced", seq: 0 });
        a.send({ user: "ann", message: "before" });
        expect(await a.next()).toMatchObject({ type: "ack", seq: 1 });
        await rt.hibernate(name, "chat");
        a.send({ user: "ann", message: "after" });
        expect(await a.next()).toMatchObject({ type: "ack", seq: 2 });
        const late = await TestClient.open(rt.url, `/rooms/${name}/ws`);
        expect([(await late.next()).message, (await late.next()).message]).toEqual(["before", "after"]);
        a.close();
        late.close();
      });
    });

    describe("limits and bad input", () => {
      // One instance with small limits, so each one is cheap to reach.
      let limited: RunningRuntime;
      beforeAll(async () => {
        limited = await handle.start({
          env: {
            ROOMKIT_MAX_MESSAGE_BYTES: "8192",
            ROOMKIT_MAX_CONNECTIONS: "3",
            ROOMKIT_RATE_LIMIT: "5/8",
            ROOMKIT_ALLOWED_ORIGINS: "https://good.example",
            ROOMKIT_CHAT_RETENTION: "5",
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
        expect(article.pending().every((f) => typeof JSON.parse(f).user === "string" && typeof JSON.parse(f).message === "string")).toBe(true);
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
        const { id } = await ask(bad, { cmd: "whoami" });
        bad.send({ cmd: "throw" });
        expect((await bad.closed).code).toBe(1011);
        expect(await good.nextMatching((f) => f.type === "onError")).toMatchObject({ connection: id, message: "onMessage failed on purpose" });
        const again = await TestClient.open(limited.url, `/probe/${name}/ws`);
        again.send({ cmd: "reject" });
        expect((await again.closed).code).toBe(1011);
        const failsOnConnect = await TestClient.open(limited.url, `/probe/${name}/ws?throwOnConnect=1`);
        expect((await failsOnConnect.closed).code).toBe(1011);
        expect((await ask(good, { cmd: "stats" })).connections).toBe(1);
        good.close();
      });
    });

    describe("hibernation", () => {
      it("keeps every socket with its id, tags and state while the instance is rebuilt", async () => {
        const name = roomName("hib");
        const a = await probe(name, "?tags=one");
        const b = await probe(name, "?tags=two");
        await ask(a, { cmd: "setState", state: { score: 42, nested: { list: [1, 2] } } });
        const before = await ask(a, { cmd: "stats" });
        expect(before.messagesSinceWake).toBeGreaterThan(0);
        const whoA = await ask(a, { cmd: "whoami" });
        const whoB = await ask(b, { cmd: "whoami" });

        await rt.hibernate(name, "probe");

        expect(await ask(a, { cmd: "whoami" })).toEqual(whoA);
        expect(await ask(b, { cmd: "whoami" })).toEqual(whoB);
        const after = await ask(a, { cmd: "stats" });
        expect(after.constructed).toBe(before.constructed + 1);
        expect(after.messagesSinceWake).toBe(3); // fields were reset: only the messages since the wake-up
        expect(after.connections).toBe(2);
        await ask(a, { cmd: "broadcast", data: "after wake" });
        expect(await b.nextMatching((f) => f.type === "broadcast")).toMatchObject({ data: "after wake" });
        a.close();
        b.close();
      });

      it("catches the article's bug: a room that keeps sockets in a Set loses broadcasts after hibernation", async () => {
        const name = roomName("leaky");
        const [a, b] = await openMany(rt.url, `/leaky/${name}/ws`, 2);
        a!.send("before");
        expect(await b!.nextText()).toBe("before");
        expect(await a!.next()).toEqual({ type: "sent", to: 1 });

        await rt.hibernate(name, "leaky");

        a!.send("after");
        expect(await a!.next()).toEqual({ type: "sent", to: 0 });
        await b!.expectSilence(200);
        a!.close();
        b!.close();
      });

      it("answers the heartbeat without waking the room", async () => {
        const name = roomName("beat");
        const a = await probe(name);
        await ask(a, { cmd: "stats" });
        await rt.hibernate(name, "probe");
        for (let i = 0; i < 3; i++) {
          a.send("ping");
          expect(await a.nextText()).toBe("pong");
        }
        // Still hibernated: forcing it again fails because there is no instance to evict.
        await expect(rt.hibernate(name, "probe")).rejects.toThrow();
        a.close();
      });
    });
  });
}
