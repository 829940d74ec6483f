// Which rooms have an alarm pending, in one small database beside the rooms' files, so that the
// server starts without opening every room's file (start-up would otherwise grow with the number
// of rooms ever written to). The room's own file stays the truth for the time: an entry here only
// says "look at this room", and a stale one fires nothing.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import { RoomkitError } from "../src/errors.ts";
import { Database } from "./peers.ts";
import { readRoomMeta } from "./storage.ts";

export const ALARM_INDEX_FILE = "_roomkit-alarms.db";

export interface IndexedAlarm {
  type: string;
  name: string;
  at: number;
}

export class AlarmIndex {
  private readonly db: BetterSqlite3.Database;
  private readonly statements: {
    set: BetterSqlite3.Statement<[string, string, number]>;
    delete: BetterSqlite3.Statement<[string, string]>;
    all: BetterSqlite3.Statement<[], IndexedAlarm>;
  };

  /** Opens (or creates) the index in `dataDir`; a directory written by an older roomkit is indexed once from its room files. */
  constructor(dataDir: string, synchronous: "NORMAL" | "FULL") {
    const path = join(dataDir, ALARM_INDEX_FILE);
    const fresh = !existsSync(path);
    try {
      this.db = new Database(path);
      this.db.pragma("journal_mode = WAL");
      this.db.pragma(`synchronous = ${synchronous}`);
      this.db.exec("CREATE TABLE IF NOT EXISTS alarms (type TEXT NOT NULL, name TEXT NOT NULL, at REAL NOT NULL, PRIMARY KEY (type, name)) WITHOUT ROWID");
    } catch (error) {
      throw new RoomkitError("CONFIG", "", `cannot open the alarm index ${path}: ${(error as Error).message}`, { cause: error });
    }
    this.statements = {
      set: this.db.prepare("INSERT INTO alarms (type, name, at) VALUES (?, ?, ?) ON CONFLICT (type, name) DO UPDATE SET at = excluded.at"),
      delete: this.db.prepare("DELETE FROM alarms WHERE type = ? AND name = ?"),
      all: this.db.prepare("SELECT type, name, at FROM alarms"),
    };
    if (fresh) this.indexRoomFiles(dataDir);
  }

  set(type: string, name: string, at: number): void {
    this.statements.set.run(type, name, at);
  }

  delete(type: string, name: string): void {
    this.statements.delete.run(type, name);
  }

  all(): IndexedAlarm[] {
    return this.statements.all.all();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private indexRoomFiles(dataDir: string): void {
    const files = readdirSync(dataDir).filter((file) => file.endsWith(".sqlite"));
    this.db.transaction(() => {
      for (const file of files) {
        const { type, name, alarm } = readRoomMeta(join(dataDir, file));
        if (type && name && alarm !== undefined) this.set(type, name, alarm);
      }
    })();
  }
}
