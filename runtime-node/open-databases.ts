// A cap on the room databases open at once. Each open WAL database holds three descriptors (the
// file, its -wal and its -shm), so without a cap a client visiting many room names runs the
// process out of descriptors. Closing a room's connection loses nothing: its next call reopens it.
import { descriptorLimit } from "./descriptor-limit.ts";
import type { ConnectionWatcher, SqliteRoomStorage } from "./storage.ts";

/** Descriptors one open database holds: the file, its -wal and its -shm. */
const DESCRIPTORS_PER_DATABASE = 3;

/** `maxOpenDatabases: "auto"`: a quarter of the descriptor limit, three per database (`ulimit -n` 1024 → 85); sockets and Node keep the rest. */
export function autoOpenDatabases(limit = descriptorLimit()): number {
  if (!Number.isFinite(limit)) return 4096;
  return Math.max(4, Math.floor(limit / 4 / DESCRIPTORS_PER_DATABASE));
}

export class OpenDatabases implements ConnectionWatcher {
  /** Open connections, oldest opened first. */
  private readonly open = new Set<SqliteRoomStorage>();

  constructor(
    readonly cap: number,
    /** Whether the storage's room is awake now: hibernated and empty rooms are closed first. */
    private readonly awake: (storage: SqliteRoomStorage) => boolean,
  ) {}

  get size(): number {
    return this.open.size;
  }

  opening(storage: SqliteRoomStorage): void {
    this.open.delete(storage);
    if (this.open.size >= this.cap) this.closeSome((other) => !this.awake(other));
    if (this.open.size >= this.cap) this.closeSome(() => true);
    this.open.add(storage);
  }

  closed(storage: SqliteRoomStorage): void {
    this.open.delete(storage);
  }

  private closeSome(which: (storage: SqliteRoomStorage) => boolean): void {
    for (const other of [...this.open]) {
      if (this.open.size < this.cap) return;
      // release() refuses only inside a transaction, which is synchronous: never one of these.
      if (which(other)) other.release();
    }
  }
}
