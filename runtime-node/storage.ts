// RoomStorage over one SQLite database per room (better-sqlite3, WAL), the Node counterpart of a
// Durable Object's SQLite storage. Key–value pairs live in a table of their own, values serialized
// with V8's structured clone as Cloudflare does.
import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { deserialize, serialize } from "node:v8";
import type BetterSqlite3 from "better-sqlite3";
import { Database } from "./peers.ts";
import { RoomkitError } from "../src/errors.ts";
import type { ListOptions, RoomSql, RoomStorage, SqlCursor, SqlRow, SqlValue } from "../src/storage.ts";

export const MEMORY = ":memory:";

/** How many of sql.exec's prepared statements a room keeps. */
const PREPARED_STATEMENTS = 32;

/** The file of a room's database: a hash of type and name, so no name can leave the directory. */
export function databasePath(dataDir: string, type: string, name: string): string {
  if (dataDir === MEMORY) return MEMORY;
  const digest = createHash("sha256").update(`${type}\u0000${name}`).digest("hex").slice(0, 32);
  return join(dataDir, `${type.replace(/[^A-Za-z0-9_-]/g, "_")}-${digest}.sqlite`);
}

type Statements = ReturnType<typeof prepareStatements>;

export class SqliteRoomStorage implements RoomStorage {
  readonly sql: RoomSql;
  /** The SQLite connection while it is open: closed by release(), reopened by the next call. */
  private connection: { db: BetterSqlite3.Database; statements: Statements } | null = null;
  /** sql.exec's statements by query text, oldest first (at most PREPARED_STATEMENTS). */
  private readonly prepared = new Map<string, BetterSqlite3.Statement>();
  /** How many times the connection was opened (diagnostics and tests). */
  opens = 0;

  constructor(
    readonly path: string,
    readonly room: { type: string; name: string },
  ) {
    if (path !== MEMORY) mkdirSync(join(path, ".."), { recursive: true });
    this.sql = { exec: (query, ...bindings) => this.exec(query, bindings) };
    this.open();
  }

  /** Whether the SQLite connection is open now. */
  get isOpen(): boolean {
    return this.connection !== null;
  }

  /**
   * Close the SQLite connection until the next call needs it. A hibernated room keeps nothing of
   * its storage in memory, as on Cloudflare: an open connection costs about 180 KB (SQLite's
   * lookaside and page cache are allocated per connection), which at 100 idle sockets per room is
   * more than the sockets themselves. An in-memory database is kept: closing it would drop it.
   */
  release(): boolean {
    if (this.path === MEMORY || !this.connection || this.connection.db.inTransaction) return false;
    this.close();
    return true;
  }

  close(): void {
    this.prepared.clear();
    const connection = this.connection;
    this.connection = null;
    if (connection?.db.open) connection.db.close();
  }

  private get db(): BetterSqlite3.Database {
    return this.open().db;
  }

  private get statements(): Statements {
    return this.open().statements;
  }

  private open(): { db: BetterSqlite3.Database; statements: Statements } {
    if (this.connection) return this.connection;
    const db = new Database(this.path);
    try {
      if (this.path !== MEMORY) db.pragma("journal_mode = WAL");
      // WAL + NORMAL: a commit is in the WAL file before the statement returns, so a process crash
      // (even SIGKILL) loses nothing; only a power cut can lose the last commits. FULL would fsync
      // every message and cap a room at a few hundred messages per second. ROOMKIT_SQLITE_SYNC=FULL
      // trades that throughput for power-cut durability.
      db.pragma(`synchronous = ${synchronousMode()}`);
      db.exec(`
        CREATE TABLE IF NOT EXISTS _roomkit_kv (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS _roomkit_meta (key TEXT PRIMARY KEY, value ANY) WITHOUT ROWID;
      `);
      const statements = prepareStatements(db);
      // Which room the file belongs to (read at server start to re-arm alarms). Written once: a
      // reopen after hibernation changes nothing, so it commits nothing.
      db.transaction(() => {
        statements.addMeta.run("type", this.room.type);
        statements.addMeta.run("name", this.room.name);
      })();
      this.opens++;
      return (this.connection = { db, statements });
    } catch (error) {
      db.close();
      throw new RoomkitError("STORAGE", this.room.name, `cannot open the room database: ${(error as Error).message}`, { cause: error });
    }
  }

  async get<T>(keyOrKeys: string | readonly string[]): Promise<any> {
    if (typeof keyOrKeys === "string") {
      const row = this.statements.get.get(keyOrKeys);
      return row ? (deserialize(row.value) as T) : undefined;
    }
    const result = new Map<string, T>();
    for (const key of [...keyOrKeys].sort(compareKeys)) {
      const row = this.statements.get.get(key);
      if (row) result.set(key, deserialize(row.value) as T);
    }
    return result;
  }

  async put<T>(keyOrEntries: string | Record<string, T>, value?: T): Promise<void> {
    if (typeof keyOrEntries === "string") {
      this.statements.put.run(keyOrEntries, this.encode(value));
      return;
    }
    const entries = Object.entries(keyOrEntries).map(([key, v]) => [key, this.encode(v)] as const);
    this.transaction(() => {
      for (const [key, bytes] of entries) this.statements.put.run(key, bytes);
    });
  }

  async delete(keyOrKeys: string | readonly string[]): Promise<any> {
    if (typeof keyOrKeys === "string") return this.statements.delete.run(keyOrKeys).changes > 0;
    return this.transaction(() => keyOrKeys.reduce((n, key) => n + this.statements.delete.run(key).changes, 0));
  }

  async deleteAll(): Promise<void> {
    this.statements.deleteAll.run();
  }

  async list<T>(options: ListOptions = {}): Promise<Map<string, T>> {
    const where: string[] = [];
    const params: SqlValue[] = [];
    if (options.prefix) {
      where.push("key >= ? AND substr(key, 1, ?) = ?");
      params.push(options.prefix, [...options.prefix].length, options.prefix);
    }
    if (options.start !== undefined) {
      where.push("key >= ?");
      params.push(options.start);
    }
    if (options.end !== undefined) {
      where.push("key < ?");
      params.push(options.end);
    }
    let query = "SELECT key, value FROM _roomkit_kv";
    if (where.length) query += ` WHERE ${where.join(" AND ")}`;
    query += ` ORDER BY key ${options.reverse ? "DESC" : "ASC"}`;
    if (options.limit !== undefined) {
      if (!(Number.isInteger(options.limit) && options.limit > 0)) throw new TypeError("list(): limit must be a positive integer");
      query += " LIMIT ?";
      params.push(options.limit);
    }
    const result = new Map<string, T>();
    for (const row of this.db.prepare<SqlValue[], { key: string; value: Buffer }>(query).iterate(...params)) {
      result.set(row.key, deserialize(row.value) as T);
    }
    return result;
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  getMeta(key: string): SqlValue | undefined {
    return this.statements.getMeta.get(key)?.value;
  }

  setMeta(key: string, value: SqlValue | null): void {
    if (value === null) this.statements.deleteMeta.run(key);
    else this.statements.setMeta.run(key, value);
  }

  private encode(value: unknown): Buffer {
    if (value === undefined) throw new TypeError("put(): undefined cannot be stored");
    try {
      return serialize(value);
    } catch (error) {
      throw new RoomkitError("STORAGE", this.room.name, `value is not structured-cloneable: ${(error as Error).message}`, { cause: error });
    }
  }

  private exec<Row extends SqlRow>(query: string, bindings: SqlValue[]): SqlCursor<Row> {
    // Prepared statements are kept per query text, as workerd's sql.exec does: preparing costs
    // about 15 µs, a quarter of a chat message's whole storage cost. SQLite re-prepares a kept
    // statement by itself if the schema changes under it.
    let statement = this.prepared.get(query);
    if (!statement) {
      try {
        statement = this.db.prepare(query);
      } catch (error) {
        // Cloudflare's sql.exec accepts a script of several statements; better-sqlite3's prepare
        // does not, so run those through exec (without bindings, as a script has no single target).
        if (/more than one statement/i.test((error as Error).message) && bindings.length === 0) {
          this.db.exec(query);
          return cursor<Row>([], []);
        }
        throw error;
      }
      if (this.prepared.size >= PREPARED_STATEMENTS) this.prepared.delete(this.prepared.keys().next().value!);
      this.prepared.set(query, statement);
    }
    const args = bindings.map(toSqlite);
    if (!statement.reader) {
      statement.run(...args);
      return cursor<Row>([], []);
    }
    const columns = statement.columns().map((column) => column.name);
    const rows = statement.all(...args) as Record<string, unknown>[];
    return cursor<Row>(rows.map(fromSqliteRow) as Row[], columns);
  }
}

function prepareStatements(db: BetterSqlite3.Database) {
  return {
    get: db.prepare<[string], { value: Buffer }>("SELECT value FROM _roomkit_kv WHERE key = ?"),
    put: db.prepare<[string, Buffer]>("INSERT INTO _roomkit_kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value"),
    delete: db.prepare<[string]>("DELETE FROM _roomkit_kv WHERE key = ?"),
    deleteAll: db.prepare("DELETE FROM _roomkit_kv"),
    getMeta: db.prepare<[string], { value: SqlValue }>("SELECT value FROM _roomkit_meta WHERE key = ?"),
    setMeta: db.prepare<[string, SqlValue]>("INSERT INTO _roomkit_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value"),
    addMeta: db.prepare<[string, SqlValue]>("INSERT INTO _roomkit_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING"),
    deleteMeta: db.prepare<[string]>("DELETE FROM _roomkit_meta WHERE key = ?"),
  };
}

/** Which room a database file belongs to, and its pending alarm (server start). */
export function readRoomMeta(path: string): { type?: string; name?: string; alarm?: number } {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare("SELECT key, value FROM _roomkit_meta").all() as { key: string; value: unknown }[];
    const meta = Object.fromEntries(rows.map((row) => [row.key, row.value]));
    return {
      type: typeof meta.type === "string" ? meta.type : undefined,
      name: typeof meta.name === "string" ? meta.name : undefined,
      alarm: typeof meta.alarm === "number" ? meta.alarm : undefined,
    };
  } catch {
    return {};
  } finally {
    db.close();
  }
}

function synchronousMode(): "NORMAL" | "FULL" {
  return process.env.ROOMKIT_SQLITE_SYNC?.toUpperCase() === "FULL" ? "FULL" : "NORMAL";
}

function cursor<Row extends SqlRow>(rows: Row[], columnNames: string[]): SqlCursor<Row> {
  let index = 0;
  return {
    columnNames,
    toArray: () => rows.slice(index),
    one() {
      if (rows.length - index !== 1) throw new Error(`Expected exactly one result from SQL query, but got ${rows.length - index}.`);
      return rows[index++]!;
    },
    [Symbol.iterator]: () => ({
      next: () => (index < rows.length ? { value: rows[index++]!, done: false } : { value: undefined, done: true }),
    }),
  };
}

function toSqlite(value: SqlValue): unknown {
  return value instanceof ArrayBuffer ? Buffer.from(value) : value;
}

function fromSqliteRow(row: Record<string, unknown>): SqlRow {
  for (const key in row) {
    const value = row[key];
    if (Buffer.isBuffer(value)) row[key] = value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength);
  }
  return row as SqlRow;
}

/** UTF-8 byte order, as SQLite's BINARY collation and Cloudflare's storage sort keys. */
function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
