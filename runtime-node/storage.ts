// RoomStorage over one SQLite database per room (better-sqlite3, WAL), the Node counterpart of a
// Durable Object's SQLite storage. Key–value pairs live in a table of their own, values serialized
// with V8's structured clone as Cloudflare does.
//
// A room that has stored nothing has no file: it runs on an in-memory database until its first
// row is written, or its schema changed outside the room's constructor, and that write turns the
// in-memory image into the room's file. A schema made in the constructor needs no file: the
// constructor runs again on every wake-up, on Cloudflare too. Otherwise every room name a client
// visits would leave a file behind, and start-up time and disk use would grow with names nobody
// wrote to.
import { createHash } from "node:crypto";
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { deserialize, serialize } from "node:v8";
import type BetterSqlite3 from "better-sqlite3";
import { Database } from "./peers.ts";
import { RoomkitError } from "../src/errors.ts";
import type { ListOptions, RoomSql, RoomStorage, SqlCursor, SqlRow, SqlValue } from "../src/storage.ts";

export const MEMORY = ":memory:";

/** A statement that changes the schema only (no rows): it never adds to total_changes(). */
const SCHEMA_STATEMENT = /^\s*(CREATE|DROP|ALTER)\s/i;

/** How many of sql.exec's prepared statements a room keeps. */
const PREPARED_STATEMENTS = 32;

/** The file of a room's database: a hash of type and name, so no name can leave the directory. */
export function databasePath(dataDir: string, type: string, name: string): string {
  if (dataDir === MEMORY) return MEMORY;
  const digest = createHash("sha256").update(`${type}\u0000${name}`).digest("hex").slice(0, 32);
  return join(dataDir, `${type.replace(/[^A-Za-z0-9_-]/g, "_")}-${digest}.sqlite`);
}

/** `ROOMKIT_SQLITE_SYNC` from the server's `env`: FULL fsyncs every commit, anything else is NORMAL. */
export function synchronousMode(env: Readonly<Record<string, unknown>>): "NORMAL" | "FULL" {
  const value = env.ROOMKIT_SQLITE_SYNC;
  return typeof value === "string" && value.toUpperCase() === "FULL" ? "FULL" : "NORMAL";
}

/** Told when a room's file connection opens and closes (the registry caps how many are open). */
export interface ConnectionWatcher {
  /** Before a file connection opens: may close other rooms' connections to make room. */
  opening(storage: SqliteRoomStorage): void;
  closed(storage: SqliteRoomStorage): void;
}

export interface SqliteRoomStorageOptions {
  synchronous?: "NORMAL" | "FULL";
  watcher?: ConnectionWatcher;
}

interface Connection {
  db: BetterSqlite3.Database;
  statements: Statements;
  /**
   * An in-memory stand-in for a file that does not exist yet: its total_changes() once set up, and
   * its schema_version after the room's constructor (a later schema change is stored state).
   */
  unsaved?: { changes: number; schema: number; before?: Buffer };
}

export class SqliteRoomStorage implements RoomStorage {
  readonly sql: RoomSql;
  /** The SQLite connection while it is open: closed by release(), reopened by the next call. */
  private connection: Connection | null = null;
  /** True while the room's constructor runs (its schema changes are rebuilt on every wake-up). */
  private constructing = false;
  /** Set by close(): every later call fails, nothing reopens the file. */
  private closed = false;
  /** sql.exec's statements by query text, oldest first (at most PREPARED_STATEMENTS). */
  private readonly prepared = new Map<string, BetterSqlite3.Statement>();
  /** How many times the connection to the file was opened (diagnostics and tests). */
  opens = 0;

  constructor(
    readonly path: string,
    readonly room: { type: string; name: string },
    private readonly options: SqliteRoomStorageOptions = {},
  ) {
    this.sql = {
      exec: <Row extends SqlRow>(query: string, ...bindings: SqlValue[]) => this.exec<Row>(query, bindings),
    };
  }

  /** Whether a connection to the room's file is open now. */
  get isOpen(): boolean {
    return this.connection !== null && !this.connection.unsaved;
  }

  /** Whether the room has a database file (it gets one with its first stored row). */
  get hasFile(): boolean {
    return this.path === MEMORY || existsSync(this.path);
  }

  /**
   * Open the room's file now if it has one, so that a file that cannot be opened (corrupt,
   * unreadable, no descriptor left) is found before a socket joins the room, not in its handlers.
   */
  check(): void {
    if (this.path !== MEMORY && !this.connection && this.hasFile) this.open();
  }

  /**
   * Close the SQLite connection until the next call needs it. A hibernated room keeps nothing of
   * its storage in memory, as on Cloudflare: an open connection costs about 180 KB (SQLite's
   * lookaside and page cache are allocated per connection), which at 100 idle sockets per room is
   * more than the sockets themselves. An in-memory database is kept: closing it would drop it.
   */
  release(): boolean {
    if (this.path === MEMORY || !this.connection || this.connection.db.inTransaction) return false;
    // A connection without a file holds nothing the next constructor does not rebuild.
    this.disconnect();
    return true;
  }

  /** Close for good: every later call throws a `STORAGE` RoomkitError, and the file is not reopened. */
  close(): void {
    this.closed = true;
    this.disconnect();
  }

  /** Runs the room's constructor: schema it creates in a room without a file stays in memory. */
  construct<T>(build: () => T): T {
    this.constructing = true;
    try {
      return build();
    } finally {
      this.constructing = false;
      const unsaved = this.connection?.unsaved;
      if (unsaved) unsaved.schema = schemaVersion(this.connection!.statements);
    }
  }

  private disconnect(): void {
    this.prepared.clear();
    const connection = this.connection;
    this.connection = null;
    if (connection?.db.open) connection.db.close();
    if (connection && !connection.unsaved) this.options.watcher?.closed(this);
  }

  private get db(): BetterSqlite3.Database {
    return this.open().db;
  }

  private get statements(): Statements {
    return this.open().statements;
  }

  private open(): Connection {
    if (this.connection) return this.connection;
    if (this.closed) throw new RoomkitError("STORAGE", this.room.name, `the storage of room type "${this.room.type}" is closed (the server is shutting down or the room was removed)`);
    if (this.path !== MEMORY && !existsSync(this.path)) return (this.connection = this.connectUnsaved());
    this.options.watcher?.opening(this);
    let db: BetterSqlite3.Database;
    try {
      db = new Database(this.path);
    } catch (error) {
      this.options.watcher?.closed(this);
      throw this.cannotOpen(error);
    }
    try {
      if (this.path !== MEMORY) db.pragma("journal_mode = WAL");
      // WAL + NORMAL: a commit is in the WAL file before the statement returns, so a process crash
      // (even SIGKILL) loses nothing; only a power cut can lose the last commits. FULL would fsync
      // every message and cap a room at a few hundred messages per second. ROOMKIT_SQLITE_SYNC=FULL
      // trades that throughput for power-cut durability.
      db.pragma(`synchronous = ${this.options.synchronous ?? "NORMAL"}`);
      const statements = setUp(db, this.room);
      this.opens++;
      return (this.connection = { db, statements });
    } catch (error) {
      db.close();
      this.options.watcher?.closed(this);
      throw this.cannotOpen(error);
    }
  }

  /** Before a write to a room without a file: its image, put back if the file cannot be created. */
  private rememberUnsaved(): void {
    const connection = this.open();
    if (connection.unsaved && !connection.db.inTransaction) connection.unsaved.before = connection.db.serialize();
  }

  private connectUnsaved(image?: Buffer): Connection {
    const db = new Database(image ?? MEMORY);
    const statements = setUp(db, this.room);
    return { db, statements, unsaved: { changes: totalChanges(statements), schema: schemaVersion(statements) } };
  }

  private cannotOpen(error: unknown): RoomkitError {
    return new RoomkitError("STORAGE", this.room.name, `cannot open the database of room type "${this.room.type}" (${this.path}): ${(error as Error).message}`, { cause: error });
  }

  /**
   * After a call: a room with no file that has now stored a row (or changed its schema outside its
   * constructor) gets its file, written from the in-memory image (to a temporary name, then
   * renamed, so a crash leaves no half file).
   */
  private saveIfWritten(): void {
    const connection = this.connection;
    if (!connection?.unsaved || connection.db.inTransaction) return;
    const { changes, schema, before } = connection.unsaved;
    connection.unsaved.before = undefined;
    if (totalChanges(connection.statements) === changes && (this.constructing || schemaVersion(connection.statements) === schema)) return;
    const image = connection.db.serialize();
    this.prepared.clear();
    this.connection = null;
    connection.db.close();
    const temporary = `${this.path}.${process.pid}.tmp`;
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      const fd = openSync(temporary, "w");
      try {
        writeSync(fd, image);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temporary, this.path);
    } catch (error) {
      try {
        rmSync(temporary, { force: true });
      } catch {
        // The directory itself is what failed.
      }
      // The write failed for the room: it must not turn up with the next one that succeeds.
      this.connection = this.connectUnsaved(before);
      throw new RoomkitError("STORAGE", this.room.name, `cannot create the database of room type "${this.room.type}" (${this.path}): ${(error as Error).message}`, { cause: error });
    }
    this.open();
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
      const bytes = this.encode(value);
      this.rememberUnsaved();
      this.statements.put.run(keyOrEntries, bytes);
      this.saveIfWritten();
      return;
    }
    const entries = Object.entries(keyOrEntries).map(([key, v]) => [key, this.encode(v)] as const);
    this.transaction(() => {
      for (const [key, bytes] of entries) this.statements.put.run(key, bytes);
    });
  }

  async delete(keyOrKeys: string | readonly string[]): Promise<any> {
    if (typeof keyOrKeys === "string") {
      this.rememberUnsaved();
      const deleted = this.statements.delete.run(keyOrKeys).changes > 0;
      this.saveIfWritten();
      return deleted;
    }
    return this.transaction(() => keyOrKeys.reduce((n, key) => n + this.statements.delete.run(key).changes, 0));
  }

  async deleteAll(): Promise<void> {
    this.rememberUnsaved();
    this.statements.deleteAll.run();
    this.saveIfWritten();
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
    const db = this.db;
    this.rememberUnsaved();
    const result = db.transaction(fn)();
    this.saveIfWritten();
    return result;
  }

  getMeta(key: string): SqlValue | undefined {
    return this.statements.getMeta.get(key)?.value;
  }

  setMeta(key: string, value: SqlValue | null): void {
    this.rememberUnsaved();
    if (value === null) this.statements.deleteMeta.run(key);
    else this.statements.setMeta.run(key, value);
    this.saveIfWritten();
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
          this.rememberUnsaved();
          this.db.exec(query);
          this.saveIfWritten();
          return cursor<Row>([], []);
        }
        throw error;
      }
      if (this.prepared.size >= PREPARED_STATEMENTS) this.prepared.delete(this.prepared.keys().next().value!);
      this.prepared.set(query, statement);
    }
    // The image to put back if the file cannot be created. Not needed for a schema statement in the
    // room's constructor: that schema is rebuilt on every wake-up and never creates the file.
    if (!statement.readonly && !(this.constructing && SCHEMA_STATEMENT.test(query))) this.rememberUnsaved();
    const args = bindings.map(toSqlite);
    if (!statement.reader) {
      statement.run(...args);
      this.saveIfWritten();
      return cursor<Row>([], []);
    }
    const rows = statement.all(...args) as Record<string, unknown>[];
    // A read-only statement changes neither rows nor schema: nothing to save.
    if (!statement.readonly) this.saveIfWritten();
    for (const row of rows) fromSqliteRow(row);
    // Column names on demand: reading them costs more than running a short query, and few callers do.
    return cursor<Row>(rows as Row[], statement);
  }
}

/** roomkit's own tables, the statements over them, and which room the file belongs to. */
function setUp(db: BetterSqlite3.Database, room: { type: string; name: string }): Statements {
  db.exec(`
    CREATE TABLE IF NOT EXISTS _roomkit_kv (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS _roomkit_meta (key TEXT PRIMARY KEY, value ANY) WITHOUT ROWID;
  `);
  const statements = new Statements(db);
  // Which room the file belongs to (the alarm index is rebuilt from it). Written once: a reopen
  // after hibernation changes nothing, so it commits nothing.
  db.transaction(() => {
    statements.addMeta.run("type", room.type);
    statements.addMeta.run("name", room.name);
  })();
  return statements;
}

// Read after every call on a room without a file: prepared once per connection, not per call.
function schemaVersion(statements: Statements): number {
  return statements.schemaVersion.get()!;
}

function totalChanges(statements: Statements): number {
  return statements.totalChanges.get()!;
}

type Statement<Params extends unknown[] = unknown[], Row = unknown> = BetterSqlite3.Statement<Params, Row>;

/**
 * roomkit's own statements over a connection, each prepared the first time it is used: a room wakes
 * with a fresh connection (hibernation closes it), and most rooms use few of them or none.
 */
class Statements {
  private readonly cache = new Map<string, Statement<any, any>>();

  constructor(private readonly db: BetterSqlite3.Database) {}

  private prepared<Params extends unknown[], Row = unknown>(sql: string, pluck = false): Statement<Params, Row> {
    let statement = this.cache.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      if (pluck) statement.pluck();
      this.cache.set(sql, statement);
    }
    return statement as Statement<Params, Row>;
  }

  get get() {
    return this.prepared<[string], { value: Buffer }>("SELECT value FROM _roomkit_kv WHERE key = ?");
  }
  get put() {
    return this.prepared<[string, Buffer]>("INSERT INTO _roomkit_kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  }
  get delete() {
    return this.prepared<[string]>("DELETE FROM _roomkit_kv WHERE key = ?");
  }
  get deleteAll() {
    return this.prepared<[]>("DELETE FROM _roomkit_kv");
  }
  get getMeta() {
    return this.prepared<[string], { value: SqlValue }>("SELECT value FROM _roomkit_meta WHERE key = ?");
  }
  get setMeta() {
    return this.prepared<[string, SqlValue]>("INSERT INTO _roomkit_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  }
  get addMeta() {
    return this.prepared<[string, SqlValue]>("INSERT INTO _roomkit_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING");
  }
  get deleteMeta() {
    return this.prepared<[string]>("DELETE FROM _roomkit_meta WHERE key = ?");
  }
  get totalChanges() {
    return this.prepared<[], number>("SELECT total_changes()", true);
  }
  get schemaVersion() {
    return this.prepared<[], number>("PRAGMA schema_version", true);
  }
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

function cursor<Row extends SqlRow>(rows: Row[], columnNames: string[] | BetterSqlite3.Statement): SqlCursor<Row> {
  return new RowCursor(rows, columnNames);
}

/** One object per query (its methods on the prototype): a cursor is made for every exec. */
class RowCursor<Row extends SqlRow> implements SqlCursor<Row> {
  private index = 0;
  private names: string[] | undefined;

  constructor(
    private readonly rows: Row[],
    private readonly columns: string[] | BetterSqlite3.Statement,
  ) {}

  get columnNames(): string[] {
    return (this.names ??= Array.isArray(this.columns) ? this.columns : this.columns.columns().map((column) => column.name));
  }

  /** The remaining rows, which it consumes (as workerd's cursor does). */
  toArray(): Row[] {
    const rest = this.index === 0 ? this.rows : this.rows.slice(this.index);
    this.index = this.rows.length;
    return rest;
  }

  one(): Row {
    const left = this.rows.length - this.index;
    if (left !== 1) throw new Error(`Expected exactly one result from SQL query, but got ${left}.`);
    return this.rows[this.index++]!;
  }

  [Symbol.iterator](): Iterator<Row> {
    return this;
  }

  next(): IteratorResult<Row> {
    return this.index < this.rows.length ? { value: this.rows[this.index++]!, done: false } : { value: undefined, done: true };
  }
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
