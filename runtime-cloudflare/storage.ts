// RoomStorage over a SQLite-backed Durable Object's ctx.storage, and the object's one alarm.
// Mostly a pass-through; the differences are where the platform and the Node runtime disagree:
// batches larger than the platform's 128 keys, deleteAll (which on Cloudflare would also drop the
// room's SQL tables and its alarm), and the typed error for values that cannot be stored.
import type { Alarms } from "../src/active-room.ts";
import { RoomkitError } from "../src/errors.ts";
import type { ListOptions, RoomSql, RoomStorage, SqlCursor, SqlRow, SqlValue } from "../src/storage.ts";

/** Cloudflare's cap on keys per get/put/delete call. */
const BATCH = 128;

export class DurableRoomStorage implements RoomStorage {
  readonly sql: RoomSql;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly room: () => string,
  ) {
    const sql = storage.sql;
    this.sql = {
      exec: <Row extends SqlRow>(query: string, ...bindings: SqlValue[]) => sql.exec<Row>(query, ...bindings) as unknown as SqlCursor<Row>,
    };
  }

  async get<T>(keyOrKeys: string | readonly string[]): Promise<any> {
    if (typeof keyOrKeys === "string") return this.storage.get<T>(keyOrKeys);
    const maps = await Promise.all(chunks(keyOrKeys).map((keys) => this.storage.get<T>(keys)));
    const found = new Map<string, T>();
    for (const map of maps) for (const [key, value] of map) found.set(key, value);
    // One result in key order, as a single call (and the Node runtime) returns it.
    return new Map([...found].sort(([a], [b]) => compareKeys(a, b)));
  }

  async put<T>(keyOrEntries: string | Record<string, T>, value?: T): Promise<void> {
    try {
      if (typeof keyOrEntries === "string") {
        if (value === undefined) throw new TypeError("put(): undefined cannot be stored");
        return await this.storage.put(keyOrEntries, value);
      }
      const entries = Object.entries(keyOrEntries);
      if (entries.some(([, v]) => v === undefined)) throw new TypeError("put(): undefined cannot be stored");
      // Writes issued without an await in between are committed together (write coalescing).
      await Promise.all(chunks(entries).map((batch) => this.storage.put(Object.fromEntries(batch))));
    } catch (error) {
      if (error instanceof Error && error.name === "DataCloneError") {
        throw new RoomkitError("STORAGE", this.room(), `value is not structured-cloneable: ${error.message}`, { cause: error });
      }
      throw error;
    }
  }

  async delete(keyOrKeys: string | readonly string[]): Promise<any> {
    if (typeof keyOrKeys === "string") return this.storage.delete(keyOrKeys);
    const counts = await Promise.all(chunks(keyOrKeys).map((keys) => this.storage.delete(keys)));
    return counts.reduce((sum, n) => sum + n, 0);
  }

  /** Only the key–value pairs: ctx.storage.deleteAll() would also wipe the SQL tables and the alarm. */
  async deleteAll(): Promise<void> {
    const kv = this.storage.kv;
    this.storage.transactionSync(() => {
      const keys: string[] = [];
      for (const [key] of kv.list()) keys.push(key);
      for (const key of keys) kv.delete(key);
    });
  }

  async list<T>(options: ListOptions = {}): Promise<Map<string, T>> {
    if (options.limit !== undefined && !(Number.isInteger(options.limit) && options.limit > 0)) {
      throw new TypeError("list(): limit must be a positive integer");
    }
    const { prefix, start, end, limit, reverse } = options;
    // An empty prefix means "no prefix", as on Node.
    return this.storage.list<T>(strip({ prefix: prefix || undefined, start, end, limit, reverse }));
  }

  transaction<T>(fn: () => T): T {
    return this.storage.transactionSync(fn);
  }
}

export function durableAlarms(storage: DurableObjectStorage): Alarms {
  return {
    setAlarm: (at) => storage.setAlarm(at),
    getAlarm: () => storage.getAlarm(),
    deleteAlarm: () => storage.deleteAlarm(),
  };
}

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += BATCH) out.push(items.slice(i, i + BATCH));
  return out;
}

function strip<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

const encoder = new TextEncoder();
/** UTF-8 byte order, the order SQLite and the Node runtime sort keys in. */
function compareKeys(a: string, b: string): number {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}
