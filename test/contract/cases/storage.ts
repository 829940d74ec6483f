import { describe, expect, it } from "vitest";
import { roomName, type SuiteContext } from "../context.ts";

export function storageCases(ctx: SuiteContext): void {
  describe("storage", () => {
    it("round-trips key–value pairs by structured clone, single and batch", async () => {
      const a = await ctx.probe(roomName("kv"));
      const value = { n: 1, list: [1, "two", null], nested: { ok: true }, big: 2 ** 40 };
      await ctx.ask(a, { cmd: "kv.put", key: "k1", value });
      expect((await ctx.ask(a, { cmd: "kv.get", key: "k1" })).value).toEqual(value);
      expect((await ctx.ask(a, { cmd: "kv.get", key: "missing" })).value).toBeNull();
      await ctx.ask(a, { cmd: "kv.putMany", entries: { b: 2, a: 1, c: 3 } });
      expect((await ctx.ask(a, { cmd: "kv.getMany", keys: ["c", "a", "zz"] })).entries).toEqual([["a", 1], ["c", 3]]);
      expect((await ctx.ask(a, { cmd: "kv.delete", key: "k1" })).deleted).toBe(true);
      expect((await ctx.ask(a, { cmd: "kv.delete", key: "k1" })).deleted).toBe(false);
      expect((await ctx.ask(a, { cmd: "kv.deleteMany", keys: ["a", "b", "nope"] })).deleted).toBe(2);
      expect((await ctx.ask(a, { cmd: "kv.list" })).entries).toEqual([["c", 3]]);
      a.close();
    });

    it("lists keys in order, with prefix, start, end, limit and reverse", async () => {
      const a = await ctx.probe(roomName("list"));
      const keys = ["user:b", "user:a", "user:c", "userx", "post:1", "user:", "a", "Z", "é"];
      await ctx.ask(a, { cmd: "kv.putMany", entries: Object.fromEntries(keys.map((k) => [k, k])) });
      const list = async (options: object) => (await ctx.ask(a, { cmd: "kv.list", options })).entries.map(([k]: [string]) => k);
      expect(await list({})).toEqual(["Z", "a", "post:1", "user:", "user:a", "user:b", "user:c", "userx", "é"]);
      expect(await list({ prefix: "user:" })).toEqual(["user:", "user:a", "user:b", "user:c"]);
      expect(await list({ prefix: "user:", reverse: true, limit: 2 })).toEqual(["user:c", "user:b"]);
      expect(await list({ start: "post:1", end: "user:b" })).toEqual(["post:1", "user:", "user:a"]);
      expect(await list({ start: "user:a", limit: 2 })).toEqual(["user:a", "user:b"]);
      expect(await list({ prefix: "nothing" })).toEqual([]);
      a.close();
    });

    it("runs SQL with bound parameters, and rolls back a failed transaction", async () => {
      const a = await ctx.probe(roomName("sql"));
      await ctx.ask(a, { cmd: "sql", query: "CREATE TABLE t (id INTEGER PRIMARY KEY, label TEXT, score REAL)" });
      await ctx.ask(a, { cmd: "sql", query: "INSERT INTO t (label, score) VALUES (?, ?), (?, ?)", bindings: ["x", 1.5, "y", null] });
      expect((await ctx.ask(a, { cmd: "sql", query: "SELECT * FROM t WHERE label = ?", bindings: ["x"] })).rows).toEqual([{ id: 1, label: "x", score: 1.5 }]);
      expect((await ctx.ask(a, { cmd: "sql", query: "SELECT count(*) AS n FROM t" })).rows).toEqual([{ n: 2 }]);
      // Column names, also of a query that returns no rows.
      expect((await ctx.ask(a, { cmd: "sql", query: "SELECT * FROM t" })).columns).toEqual(["id", "label", "score"]);
      expect(await ctx.ask(a, { cmd: "sql", query: "SELECT label AS name, score FROM t WHERE id < 0" })).toMatchObject({ rows: [], columns: ["name", "score"] });
      // A cursor is consumed as it is read, as workerd's is.
      expect(await ctx.ask(a, { cmd: "sql.consume", query: "SELECT label FROM t ORDER BY id" })).toMatchObject({ first: { label: "x" }, rest: [{ label: "y" }], again: [] });
      const failed = await ctx.ask(a, { cmd: "sql.tx", fail: true, statements: [["INSERT INTO t (label) VALUES (?)", "rolled"]] });
      expect(failed.ok).toBe(false);
      expect((await ctx.ask(a, { cmd: "sql", query: "SELECT count(*) AS n FROM t" })).rows).toEqual([{ n: 2 }]);
      expect(await ctx.ask(a, { cmd: "sql.tx", statements: [["INSERT INTO t (label) VALUES (?)", "kept"]] })).toMatchObject({ ok: true });
      expect((await ctx.ask(a, { cmd: "sql", query: "SELECT label FROM t ORDER BY id" })).rows.map((r: any) => r.label)).toEqual(["x", "y", "kept"]);
      expect((await ctx.ask(a, { cmd: "sql", query: "SELEKT nonsense" })).error).toMatch(/syntax/i);
      a.close();
    });

    it("keeps storage and the pending alarm across hibernation", async () => {
      const name = roomName("keep");
      const a = await ctx.probe(name);
      await ctx.ask(a, { cmd: "kv.put", key: "kept", value: "yes" });
      const { at } = await ctx.ask(a, { cmd: "alarm.set", inMs: 60_000 });
      expect(await ctx.rt.hibernate("probe", name)).toBe(true);
      expect((await ctx.ask(a, { cmd: "kv.get", key: "kept" })).value).toBe("yes");
      expect((await ctx.ask(a, { cmd: "alarm.get" })).at).toBe(at);
      expect((await ctx.ask(a, { cmd: "alarm.delete" })).at).toBeNull();
      a.close();
    });

    it("fires an alarm set before hibernation, waking the room", async () => {
      const name = roomName("alarm");
      const a = await ctx.probe(name);
      const before = await ctx.ask(a, { cmd: "stats" });
      await ctx.ask(a, { cmd: "alarm.set", inMs: 1500 });
      expect(await ctx.rt.hibernate("probe", name)).toBe(true);
      const fired = await a.nextMatching((f) => f.type === "alarm", 15_000);
      expect(fired.fired).toBe(1);
      expect(fired.instance).toBe(before.instance + 1);
      expect((await ctx.ask(a, { cmd: "alarm.get" })).at).toBeNull();
      a.close();
    });
  });
}
