// The chat example: the article's wire protocol, done right. Every accepted message is stored with
// a per-room sequence number before anyone is sent it; joiners get recent history, reconnecting
// clients resume with `?since=<seq>`. Frames to article clients always carry `user` and `message`.
// A message may carry a client id (`cid`, sent by roomkit/client): a retry of a message whose ack
// was lost is then stored and relayed once, and the sender recognises its own message in history.
import { log } from "../log.ts";
import { CloseCode } from "../protocol.ts";
import type { Connection, FrameData, Room, RoomHost } from "../room.ts";

/** client → server */
export interface ChatInput {
  user: string;
  message: string;
  /** Optional client message id: a second message with the same id is acknowledged, not stored again. */
  cid?: string;
}
/** server → client: live messages and history alike */
export interface ChatMessage extends ChatInput {
  timestamp: number;
  seq: number;
}
/** server → extended clients (`?roomkit=1`) only */
export type ChatNotice =
  | { type: "ack"; seq: number; timestamp: number; cid?: string }
  | { type: "synced"; seq: number }
  | { type: "gap"; from: number; to: number }
  | { type: "error"; code: string; detail: string };

export const CHAT_LIMITS = { userLength: 64, messageLength: 4096 } as const;
const CID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

const DEFAULT_HISTORY = 50;
const DEFAULT_RETENTION = 1000;

type Row = { seq: number; user: string; message: string; timestamp: number; cid: string | null };

export class ChatRoom implements Room {
  private readonly history: number;
  private readonly retention: number;

  constructor(readonly host: RoomHost) {
    this.history = envInteger(host.env, "ROOMKIT_CHAT_HISTORY", DEFAULT_HISTORY, 0);
    this.retention = envInteger(host.env, "ROOMKIT_CHAT_RETENTION", DEFAULT_RETENTION, 1);
    // Runs on every wake-up; cheap when the table exists.
    const sql = host.storage.sql;
    sql.exec(
      "CREATE TABLE IF NOT EXISTS chat_messages (seq INTEGER PRIMARY KEY AUTOINCREMENT, user TEXT NOT NULL, message TEXT NOT NULL, timestamp INTEGER NOT NULL, cid TEXT)",
    );
    try {
      sql.exec("SELECT cid FROM chat_messages LIMIT 0");
    } catch {
      // A table created before client ids existed.
      sql.exec("ALTER TABLE chat_messages ADD COLUMN cid TEXT");
    }
    sql.exec("CREATE UNIQUE INDEX IF NOT EXISTS chat_messages_cid ON chat_messages (cid) WHERE cid IS NOT NULL");
  }

  onConnect(connection: Connection, request: Request): void {
    const since = parseSince(new URL(request.url).searchParams.get("since"));
    const sql = this.host.storage.sql;
    let rows: Row[];
    if (since === null) {
      rows = this.history === 0 ? [] : sql.exec<Row>(
        "SELECT seq, user, message, timestamp, cid FROM (SELECT * FROM chat_messages ORDER BY seq DESC LIMIT ?) ORDER BY seq",
        this.history,
      ).toArray();
    } else {
      rows = sql.exec<Row>("SELECT seq, user, message, timestamp, cid FROM chat_messages WHERE seq > ? ORDER BY seq", since).toArray();
      const first = rows[0]?.seq ?? this.latestSeq() + 1;
      // Pruned messages cannot be replayed; an extended client is told instead of silently missing them.
      if (connection.extended && first > since + 1) this.notify(connection, { type: "gap", from: since + 1, to: first - 1 });
    }
    for (const row of rows) connection.send(frame(row));
    if (connection.extended) this.notify(connection, { type: "synced", seq: rows.at(-1)?.seq ?? this.latestSeq() });
  }

  onMessage(connection: Connection, data: FrameData): void {
    if (typeof data !== "string") {
      connection.close(CloseCode.UNSUPPORTED_DATA, "chat accepts text frames only");
      return;
    }
    const input = parseChatInput(data);
    if (typeof input === "string") {
      if (!connection.sendError("invalid_message", input)) {
        log.warn(`room "${this.host.name}" connection ${connection.id}: dropped a bad frame: ${input}`);
      }
      return;
    }
    const timestamp = Date.now();
    const sql = this.host.storage.sql;
    const cid = input.cid ?? null;
    if (cid !== null) {
      // A client retrying a message whose ack it never got: confirm the stored one again; storing
      // or relaying it twice would duplicate it for everybody. (Looked up rather than left to the
      // unique index: a refused INSERT would still use up a seq and leave a false gap.)
      const stored = sql.exec<{ seq: number; timestamp: number }>("SELECT seq, timestamp FROM chat_messages WHERE cid = ?", cid).toArray()[0];
      if (stored) {
        if (connection.extended) this.notify(connection, { type: "ack", seq: stored.seq, timestamp: stored.timestamp, cid });
        return;
      }
    }
    // Stored (and pruned) before anyone sees it: after a crash, nothing anyone saw is lost. One
    // transaction for both: one commit per message instead of two once the room is past retention.
    const seq = this.host.storage.transaction(() => {
      const stored = sql
        .exec<{ seq: number }>("INSERT INTO chat_messages (user, message, timestamp, cid) VALUES (?, ?, ?, ?) RETURNING seq", input.user, input.message, timestamp, cid)
        .one().seq;
      if (stored > this.retention) sql.exec("DELETE FROM chat_messages WHERE seq <= ?", stored - this.retention);
      return stored;
    });
    this.host.broadcast(frame({ seq, user: input.user, message: input.message, timestamp, cid }), { except: [connection.id] });
    if (connection.extended) this.notify(connection, cid === null ? { type: "ack", seq, timestamp } : { type: "ack", seq, timestamp, cid });
  }

  private latestSeq(): number {
    const row = this.host.storage.sql.exec<{ seq: number | null }>("SELECT max(seq) AS seq FROM chat_messages").one();
    return row.seq ?? 0;
  }

  private notify(connection: Connection, notice: ChatNotice): void {
    connection.send(JSON.stringify(notice));
  }
}

/** The input if valid, else a description of what is wrong. */
export function parseChatInput(text: string): ChatInput | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return "not valid JSON";
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "expected a JSON object";
  const { user, message, cid } = value as Record<string, unknown>;
  if (typeof user !== "string") return '"user" must be a string';
  if (typeof message !== "string") return '"message" must be a string';
  if (cid !== undefined && cid !== null && (typeof cid !== "string" || !CID_PATTERN.test(cid))) return '"cid" must be 1–64 characters of [A-Za-z0-9_-]';
  const u = user.trim();
  const m = message.trim();
  if (u.length < 1 || u.length > CHAT_LIMITS.userLength) return `"user" must be 1–${CHAT_LIMITS.userLength} characters`;
  if (m.length < 1 || m.length > CHAT_LIMITS.messageLength) return `"message" must be 1–${CHAT_LIMITS.messageLength} characters`;
  return typeof cid === "string" ? { user: u, message: m, cid } : { user: u, message: m };
}

function frame(row: Row): string {
  const message: ChatMessage = { user: row.user, message: row.message, timestamp: row.timestamp, seq: row.seq };
  // Article clients ignore the extra field; the sender's client uses it to recognise its own message.
  if (row.cid !== null) message.cid = row.cid;
  return JSON.stringify(message);
}

function parseSince(value: string | null): number | null {
  if (value === null || !/^\d{1,15}$/.test(value)) return null;
  return Number(value);
}

function envInteger(env: Record<string, unknown>, name: string, fallback: number, min: number): number {
  const value = env[name];
  if (value === undefined || value === "") return fallback;
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < min) throw new TypeError(`${name} must be an integer ≥ ${min}, got "${String(value)}"`);
  return parsed;
}
