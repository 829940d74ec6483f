// The chat example: the article's wire protocol, done right. Every accepted message is stored with
// a per-room sequence number before anyone is sent it; joiners get recent history, reconnecting
// clients resume with `?since=<seq>`. Frames to article clients always carry `user` and `message`.
// A message may carry a client id (`cid`, sent by roomkit/client): a retry of a message whose ack
// was lost is then stored and relayed once, and the sender recognises its own message in history.
import { CloseCode, log } from "roomkit";
import type { Connection, FrameData, Room, RoomHost } from "roomkit";
// The wire protocol is defined once, in roomkit/client (its connectChat speaks it).
import type { ChatInput, ChatMessage, ChatNotice } from "roomkit/client";

export type { ChatInput, ChatMessage, ChatNotice };

export const CHAT_LIMITS = { userLength: 64, messageLength: 4096 } as const;
const CID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

const DEFAULT_HISTORY = 50;
const DEFAULT_RETENTION = 1000;

type Row = { seq: number; user: string; message: string; timestamp: number; cid: string | null };

type Queued = { connection: Connection; input: ChatInput; timestamp: number } | { reply: () => void };
type Outcome = { connection: Connection; stored?: Recent; ack: ChatNotice } | { reply: () => void };
/** A stored message as it is sent to everyone. */
type Recent = { seq: number; frame: string };

/** The next turn of the event loop: setImmediate where there is one (Node: no 1 ms timer floor). */
function nextTurn(task: () => void): void {
  const immediate = (globalThis as { setImmediate?: (task: () => void) => unknown }).setImmediate;
  if (immediate) immediate(task);
  else setTimeout(task, 0);
}

function closeQuietly(connection: Connection, code: number, reason: string): void {
  try {
    connection.close(code, reason);
  } catch {
    // already closed
  }
}

export class ChatRoom implements Room {
  private readonly history: number;
  private readonly retention: number;
  /**
   * The newest `history` messages, newest first. The limit is written into the query, not bound: a
   * bound LIMIT costs SQLite several times the rest of this query on every call (it is an integer
   * from envInteger, never a client's input).
   */
  private readonly recentQuery: string;
  /** Accepted messages (and replies that must follow them) waiting for the next flush. */
  private queue: Queued[] = [];
  /**
   * The newest `history` messages, oldest first, as joiners are sent them: read from storage at the
   * first join after a wake-up, then kept up to date by every flush, so that a join needs no query.
   * Gone with the instance when the room hibernates; the next join reads them again.
   */
  private recent: Recent[] | undefined;

  constructor(readonly host: RoomHost) {
    this.history = envInteger(host.env, "ROOMKIT_CHAT_HISTORY", DEFAULT_HISTORY, 0);
    this.retention = envInteger(host.env, "ROOMKIT_CHAT_RETENTION", DEFAULT_RETENTION, 1);
    this.recentQuery = `SELECT seq, user, message, timestamp, cid FROM chat_messages ORDER BY seq DESC LIMIT ${this.history}`;
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
    const since = parseSince(queryParameter(request.url, "since"));
    const sql = this.host.storage.sql;
    let messages: readonly Recent[];
    // The room's last seq, read at most once per connect, and only when no message says it.
    let latest: number | undefined;
    if (since === null) {
      messages = this.recentMessages();
    } else {
      const rows = sql.exec<Row>("SELECT seq, user, message, timestamp, cid FROM chat_messages WHERE seq > ? ORDER BY seq", since).toArray();
      messages = rows.map(recentOf);
      const first = rows.length > 0 ? rows[0]!.seq : (latest = this.latestSeq()) + 1;
      // Pruned messages cannot be replayed; an extended client is told instead of silently missing them.
      if (connection.extended && first > since + 1) this.notify(connection, { type: "gap", from: since + 1, to: first - 1 });
    }
    for (const message of messages) connection.send(message.frame);
    if (connection.extended) this.notify(connection, { type: "synced", seq: messages.length > 0 ? messages[messages.length - 1]!.seq : (latest ?? this.latestSeq()) });
  }

  onMessage(connection: Connection, data: FrameData): void {
    if (typeof data !== "string") {
      this.inOrder(() => connection.close(CloseCode.UNSUPPORTED_DATA, "chat accepts text frames only"));
      return;
    }
    const input = parseChatInput(data);
    if (typeof input === "string") {
      this.inOrder(() => {
        if (!connection.sendError("invalid_message", input)) {
          log.warn(`room "${this.host.name}" connection ${connection.id}: dropped a bad frame: ${input}`);
        }
      });
      return;
    }
    // Stored in batches: every message that arrives before the next turn of the event loop shares
    // one transaction, so one commit — on Cloudflare, one durable write the output gate waits for —
    // serves them all. Nobody is sent a message before the commit that stores it.
    this.queue.push({ connection, input, timestamp: Date.now() });
    if (this.queue.length === 1) nextTurn(() => this.flush());
  }

  /** Replies that must not overtake the acks of messages still queued on the same connection. */
  private inOrder(reply: () => void): void {
    if (this.queue.length === 0) reply();
    else this.queue.push({ reply });
  }

  private flush(): void {
    const batch = this.queue;
    this.queue = [];
    const sql = this.host.storage.sql;
    let outcomes: Outcome[];
    try {
      outcomes = this.host.storage.transaction(() => {
        let last = 0;
        const stored = batch.map((entry): Outcome => {
          if ("reply" in entry) return entry;
          const { connection, input, timestamp } = entry;
          const cid = input.cid ?? null;
          if (cid !== null) {
            // A client retrying a message whose ack it never got: confirm the stored one again;
            // storing or relaying it twice would duplicate it for everybody. (Looked up rather than
            // left to the unique index: a refused INSERT would still use up a seq and leave a false gap.)
            const stored = sql.exec<{ seq: number; timestamp: number }>("SELECT seq, timestamp FROM chat_messages WHERE cid = ?", cid).toArray()[0];
            if (stored) return { connection, ack: { type: "ack", seq: stored.seq, timestamp: stored.timestamp, cid } };
          }
          const seq = sql
            .exec<{ seq: number }>("INSERT INTO chat_messages (user, message, timestamp, cid) VALUES (?, ?, ?, ?) RETURNING seq", input.user, input.message, timestamp, cid)
            .one().seq;
          last = seq;
          return {
            connection,
            stored: recentOf({ seq, user: input.user, message: input.message, timestamp, cid }),
            ack: cid === null ? { type: "ack", seq, timestamp } : { type: "ack", seq, timestamp, cid },
          };
        });
        // Pruned once per batch: the same rows remain as if after each message.
        if (last > this.retention) sql.exec("DELETE FROM chat_messages WHERE seq <= ?", last - this.retention);
        return stored;
      });
    } catch (error) {
      // Nothing of the batch was stored, so nobody saw any of it: as for a fault in a handler, the
      // senders are closed with 1011 (a resuming client sends again).
      log.error(`room "${this.host.name}": storing messages failed:`, error);
      for (const entry of batch) if ("connection" in entry) closeQuietly(entry.connection, CloseCode.INTERNAL_ERROR, "internal error in room");
      return;
    }
    this.remember(outcomes);
    for (const outcome of outcomes) {
      try {
        if ("reply" in outcome) outcome.reply();
        else {
          if (outcome.stored !== undefined) this.host.broadcast(outcome.stored.frame, { except: [outcome.connection.id] });
          if (outcome.connection.extended) this.notify(outcome.connection, outcome.ack);
        }
      } catch (error) {
        // The sender closed before its ack: the others have the message; a resume shows it.
        if ((error as { code?: unknown } | null)?.code !== "SOCKET_CLOSED") log.error(`room "${this.host.name}":`, error);
      }
    }
  }

  private recentMessages(): readonly Recent[] {
    this.recent ??= this.history === 0 ? [] : this.host.storage.sql.exec<Row>(this.recentQuery).toArray().reverse().map(recentOf);
    return this.recent;
  }

  /** A flush's stored messages joined to the recent ones, which keep what storage keeps of the newest `history`. */
  private remember(outcomes: readonly Outcome[]): void {
    const recent = this.recent;
    if (recent === undefined || this.history === 0) return;
    for (const outcome of outcomes) if ("stored" in outcome && outcome.stored !== undefined) recent.push(outcome.stored);
    const newest = recent.length > 0 ? recent[recent.length - 1]!.seq : 0;
    while (recent.length > this.history || (recent.length > 0 && recent[0]!.seq <= newest - this.retention)) recent.shift();
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

function recentOf(row: Row): Recent {
  return { seq: row.seq, frame: frame(row) };
}

function frame(row: Row): string {
  const message: ChatMessage = { user: row.user, message: row.message, timestamp: row.timestamp, seq: row.seq };
  // Article clients ignore the extra field; the sender's client uses it to recognise its own message.
  if (row.cid !== null) message.cid = row.cid;
  return JSON.stringify(message);
}

/** One query parameter of a URL; most joins have no query at all, and need no URL parsed. */
function queryParameter(url: string, name: string): string | null {
  const query = url.indexOf("?");
  return query === -1 ? null : new URLSearchParams(url.slice(query + 1)).get(name);
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
