// RoomStorage: the same durable API on both runtimes. Cloudflare maps it onto the Durable Object's
// SQLite-backed `ctx.storage`; Node onto one SQLite file per room. Key–value calls are async (as on
// Cloudflare); SQL is synchronous on both, because both runtimes run SQLite in-process.

export type SqlValue = string | number | null | ArrayBuffer;
export type SqlRow = Record<string, SqlValue>;

export interface SqlCursor<Row extends SqlRow = SqlRow> extends Iterable<Row> {
  /** Every remaining row. */
  toArray(): Row[];
  /** Exactly one row; throws when there are none or more than one. */
  one(): Row;
  /** Column names of the result, in order. */
  readonly columnNames: readonly string[];
}

export interface RoomSql {
  /** Runs one statement with `?` bindings. */
  exec<Row extends SqlRow = SqlRow>(query: string, ...bindings: SqlValue[]): SqlCursor<Row>;
}

export interface ListOptions {
  /** Keys starting with this. */
  prefix?: string;
  /** First key (inclusive). */
  start?: string;
  /** Last key (exclusive). */
  end?: string;
  /** At most this many entries. */
  limit?: number;
  /** Descending key order. */
  reverse?: boolean;
}

export interface RoomStorage {
  get<T = unknown>(key: string): Promise<T | undefined>;
  get<T = unknown>(keys: readonly string[]): Promise<Map<string, T>>;
  put<T>(key: string, value: T): Promise<void>;
  put<T>(entries: Record<string, T>): Promise<void>;
  delete(key: string): Promise<boolean>;
  delete(keys: readonly string[]): Promise<number>;
  deleteAll(): Promise<void>;
  /** Entries in ascending key order (UTF-8 byte order), as a Map. */
  list<T = unknown>(options?: ListOptions): Promise<Map<string, T>>;
  readonly sql: RoomSql;
  /** Runs `fn` in one SQLite transaction; a throw rolls everything back. */
  transaction<T>(fn: () => T): T;
}
