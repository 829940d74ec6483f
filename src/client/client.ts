// RoomClient: a socket to one room that reconnects, resumes and buffers. Each socket is a Link
// (timeouts, heartbeat); this class decides when to open the next one and keeps the two pieces of
// state that must outlive them: the last seq seen and the unconfirmed outgoing messages.
import { DEFAULT_BACKOFF, backoffDelay, checkBackoff, type BackoffOptions } from "./backoff.ts";
import { CloseCode } from "../protocol.ts";
import { isTerminalClose } from "./close-codes.ts";
import { Emitter } from "./emitter.ts";
import { Link, type HeartbeatOptions, type LinkEnd } from "./link.ts";
import { DEFAULT_OUTBOX_LIMITS, Outbox, utf8Length, type OutboxEntry } from "./outbox.ts";
import { resolveWebSocket, type WebSocketConstructor } from "./socket.ts";
import type { ClientError, ClientEvents, ClientOptions, ClientState } from "./types.ts";
import { attemptUrl, socketUrl } from "./url.ts";

const DEFAULT_HEARTBEAT: HeartbeatOptions = { intervalMs: 15_000, timeoutMs: 5_000 };

type Notice =
  | { type: "ack"; seq: number; timestamp: number; cid?: string }
  | { type: "synced"; seq: number }
  | { type: "gap"; from: number; to: number }
  | { type: "error"; code: string; detail: string };

export class RoomClient<In = unknown, Out = unknown> extends Emitter<ClientEvents<In, Out>> {
  readonly url: URL;
  private readonly WebSocket: WebSocketConstructor;
  private readonly resume: boolean;
  private readonly backoff: BackoffOptions;
  private readonly maxRetries: number;
  private readonly connectTimeoutMs: number;
  private readonly syncTimeoutMs: number;
  private readonly heartbeat: HeartbeatOptions | false;
  private readonly maxInFlight: number;
  private readonly rateLimitPauseMs: number;
  private readonly random: () => number;
  private readonly outbox: Outbox<Out>;

  private link: Link | null = null;
  private current: ClientState = "closed";
  /** Attempts since the last connection that got as far as `synced` (or `open` without resume). */
  private failures = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private nextRetryAt: number | null = null;
  private seq: number | null;
  /** What this link asked for with `since`; null for a fresh history. */
  private since: number | null = null;
  private synced = false;
  private replayed = 0;
  private everOpened = false;
  /** Why the current link is being closed by us, if it is. */
  private intent: "close" | "reconnect" | null = null;
  private pauseTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: ClientOptions) {
    super();
    this.url = socketUrl(options.url);
    this.WebSocket = resolveWebSocket(options.WebSocket);
    this.resume = options.resume ?? false;
    this.backoff = checkBackoff({ ...DEFAULT_BACKOFF, ...options.backoff });
    this.maxRetries = options.maxRetries ?? 20;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.syncTimeoutMs = options.syncTimeoutMs ?? 10_000;
    this.heartbeat = options.heartbeat === false ? false : { ...DEFAULT_HEARTBEAT, ...options.heartbeat };
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 1);
    this.rateLimitPauseMs = options.rateLimitPauseMs ?? 1000;
    this.random = options.random ?? Math.random;
    this.outbox = new Outbox({ ...DEFAULT_OUTBOX_LIMITS, ...options.buffer });
    this.seq = options.since ?? null;
    if (options.autoConnect ?? true) this.connect();
  }

  get state(): ClientState {
    return this.current;
  }

  /** When the next attempt starts (ms since the epoch), while `waiting`. */
  get retryAt(): number | null {
    return this.nextRetryAt;
  }

  /** The last seq seen (resume mode): the next connection asks for what follows it. */
  get lastSeq(): number | null {
    return this.seq;
  }

  /** Messages not yet confirmed by the server, oldest first. */
  pending(): { id: string; data: Out; sent: boolean }[] {
    return this.outbox.list().map(({ id, data, sent }) => ({ id, data, sent }));
  }

  get pendingBytes(): number {
    return this.outbox.bytes;
  }

  /**
   * Sends `data` as JSON now, or as soon as a connection is synced. Returns the message's id (the
   * `id` of its `ack`), or null when the buffer is full — the message is then not kept, and an
   * `error` event with code `buffer_full` says so. In resume mode `data` must be a JSON object:
   * the client adds its id to it as `cid`.
   */
  send(data: Out): string | null {
    const id = newId();
    let payload: unknown = data;
    if (this.resume) {
      if (typeof data !== "object" || data === null || Array.isArray(data)) {
        throw new TypeError("RoomClient.send: in resume mode a message must be a JSON object");
      }
      payload = { ...data, cid: id };
    }
    const text = JSON.stringify(payload);
    const entry: OutboxEntry<Out> = { id, data, text, bytes: utf8Length(text), sent: false };
    if (this.outbox.add(entry) === "full") {
      const { maxMessages, maxBytes } = this.outbox.limits;
      this.fail({
        code: "buffer_full",
        detail: `${this.outbox.size} unconfirmed messages (${this.outbox.bytes} bytes) held; the limits are ${maxMessages} messages and ${maxBytes} bytes`,
        fromServer: false,
        data,
      });
      return null;
    }
    this.pump();
    return id;
  }

  /** Connects again now: drops the current socket if any, forgets past failures. Works in every state. */
  reconnect(): void {
    this.failures = 0;
    this.cancelRetry();
    if (this.link) {
      this.intent = "reconnect";
      this.link.close(1000, "reconnecting");
    } else {
      this.connect();
    }
  }

  /** Stops for good (until `reconnect()`); unconfirmed messages stay in the buffer. */
  close(code = 1000, reason = "client closed"): void {
    this.cancelRetry();
    if (this.link) {
      this.intent = "close";
      this.link.close(code, reason);
    } else if (this.current !== "closed") {
      this.current = "closed";
      this.emit("close", { code, reason, wasClean: true, willReconnect: false, terminal: false, gaveUp: false });
    }
  }

  // ---- one connection ----
  private connect(): void {
    this.cancelRetry();
    this.current = "connecting";
    this.synced = false;
    this.replayed = 0;
    this.since = this.resume ? this.seq : null;
    const link: Link = new Link(
      this.WebSocket,
      attemptUrl(this.url, this.resume, this.seq),
      { connectTimeoutMs: this.connectTimeoutMs, heartbeat: this.heartbeat, syncTimeoutMs: this.resume ? this.syncTimeoutMs : false },
      {
        open: () => this.onOpen(),
        text: (text) => this.onText(text),
        binary: (data) => this.onBinary(data),
        syncTimeout: (ms) =>
          this.fail({
            code: "sync_timeout",
            detail: `no "synced" frame ${ms} ms after the socket opened: the room does not speak roomkit's resume protocol (use resume: false), or it is too slow; retrying`,
            fromServer: false,
          }),
        end: (end) => {
          if (this.link === link) this.onEnd(end);
        },
      },
    );
    this.link = link;
  }

  private onOpen(): void {
    this.current = "open";
    const reconnect = this.everOpened;
    this.everOpened = true;
    this.emit("open", { reconnect });
    if (!this.resume) {
      this.failures = 0;
      this.pump();
    }
  }

  private onText(text: string): void {
    let frame: unknown;
    try {
      frame = JSON.parse(text);
    } catch {
      // A plain socket passes on whatever the room sends; the resume protocol is JSON only.
      if (!this.resume) return this.emit("message", { data: text as In, raw: text, seq: null, history: false });
      this.fail({ code: "invalid_frame", detail: `not JSON: ${text.slice(0, 80)}`, fromServer: false });
      return;
    }
    if (this.resume) {
      const notice = asNotice(frame);
      if (notice) return this.onNotice(notice);
      const seq = (frame as { seq?: unknown } | null)?.seq;
      if (typeof seq === "number") return this.onSequenced(frame as In & { seq: number; cid?: unknown; timestamp?: unknown }, seq, text);
    }
    this.emit("message", { data: frame as In, raw: text, seq: null, history: false });
  }

  private onBinary(data: ArrayBuffer): void {
    if (!this.resume) return this.emit("message", { data: data as In, raw: data, seq: null, history: false });
    this.fail({ code: "invalid_frame", detail: "binary frame ignored: the resume protocol is JSON text", fromServer: false });
  }

  private onSequenced(frame: In & { seq: number; cid?: unknown; timestamp?: unknown }, seq: number, raw: string): void {
    // Already seen: history overlapping what arrived live, or a replay after a reconnect.
    if (this.seq !== null && seq <= this.seq) return;
    this.seq = seq;
    // Our own message, found in history because its ack was lost with the old socket.
    const own = typeof frame.cid === "string" ? this.outbox.get(frame.cid) : undefined;
    if (own) return this.confirm(own, seq, typeof frame.timestamp === "number" ? frame.timestamp : Date.now());
    if (!this.synced) this.replayed++;
    this.emit("message", { data: frame, raw, seq, history: !this.synced });
  }

  private onNotice(notice: Notice): void {
    switch (notice.type) {
      case "ack": {
        this.advance(notice.seq);
        const entry = notice.cid !== undefined ? this.outbox.get(notice.cid) : this.outbox.oldestSent();
        // Unknown cid: a resent message the server had stored already, confirmed through history.
        if (entry) this.confirm(entry, notice.seq, notice.timestamp);
        this.pump();
        return;
      }
      case "synced": {
        if (this.seq !== null && notice.seq < this.seq) {
          // The server's history is behind ours: its storage was reset. Follow it, or every new
          // message would look like one already seen.
          this.fail({ code: "history_reset", detail: `the room's last seq is ${notice.seq}, below ${this.seq}`, fromServer: false });
          this.seq = notice.seq;
        } else this.advance(notice.seq);
        this.synced = true;
        this.link?.synced();
        this.failures = 0;
        this.emit("synced", { seq: notice.seq, resumed: this.since !== null });
        if (this.since !== null) this.emit("resumed", { since: this.since, seq: notice.seq, replayed: this.replayed });
        this.pump();
        return;
      }
      case "gap":
        this.advance(notice.to);
        this.emit("gap", { from: notice.from, to: notice.to });
        return;
      case "error":
        return this.onServerError(notice.code, notice.detail);
    }
  }

  /**
   * The room answers each message on a socket, in order, with an ack or one of these refusals, so a
   * refusal is about the oldest message written and not yet answered.
   */
  private onServerError(code: string, detail: string): void {
    const entry = code === "invalid_message" || code === "rate_limited" ? this.outbox.oldestSent() : undefined;
    if (!entry) return this.fail({ code, detail, fromServer: true });
    if (code === "invalid_message") {
      this.outbox.remove(entry);
      return this.fail({ code, detail, fromServer: true, id: entry.id, data: entry.data });
    }
    entry.sent = false;
    this.fail({ code, detail, fromServer: true, id: entry.id, data: entry.data, willRetry: true });
    this.pauseSending();
  }

  private onEnd(end: LinkEnd): void {
    this.link = null;
    this.synced = false;
    if (this.pauseTimer !== undefined) clearTimeout(this.pauseTimer);
    this.pauseTimer = undefined;
    if (end.code === CloseCode.MESSAGE_TOO_BIG && end.opened) {
      // Sending it again would be refused again; the next in line must not wait behind it.
      const culprit = this.outbox.oldestSent();
      if (culprit) {
        this.outbox.remove(culprit);
        this.fail({ code: "message_too_large", detail: end.reason || "closed with 1009", fromServer: true, id: culprit.id, data: culprit.data });
      }
    }
    this.outbox.unsendAll();
    const intent = this.intent;
    this.intent = null;
    const close = { code: end.code, reason: end.reason, wasClean: end.wasClean };
    if (intent === "close") {
      this.current = "closed";
      this.emit("close", { ...close, willReconnect: false, terminal: false, gaveUp: false });
      return;
    }
    if (intent === "reconnect") {
      this.emit("close", { ...close, willReconnect: true, terminal: false, gaveUp: false });
      this.connect();
      return;
    }
    const terminal = isTerminalClose(end.code);
    this.failures++;
    const gaveUp = !terminal && this.failures > this.maxRetries;
    if (terminal || gaveUp) {
      this.current = "closed";
      this.emit("close", { ...close, willReconnect: false, terminal, gaveUp });
      return;
    }
    this.emit("close", { ...close, willReconnect: true, terminal: false, gaveUp: false });
    // The close listener may have called close() or reconnect() itself.
    if (this.link || this.current === "closed") return;
    const delayMs = backoffDelay(this.failures, this.backoff, this.random);
    this.current = "waiting";
    this.nextRetryAt = Date.now() + delayMs;
    this.retryTimer = setTimeout(() => this.connect(), delayMs);
    this.emit("reconnecting", { attempt: this.failures, delayMs, at: this.nextRetryAt });
  }

  // ---- outgoing ----
  /** Writes queued messages, oldest first, as far as the in-flight window allows. */
  private pump(): void {
    const link = this.link;
    if (!link?.isOpen || this.pauseTimer !== undefined) return;
    if (!this.resume) {
      for (const entry of [...this.outbox.unsent()]) {
        link.send(entry.text);
        this.outbox.remove(entry);
      }
      return;
    }
    if (!this.synced) return;
    let inFlight = this.outbox.sentCount();
    for (const entry of this.outbox.unsent()) {
      if (inFlight >= this.maxInFlight) break;
      link.send(entry.text);
      entry.sent = true;
      inFlight++;
    }
  }

  private pauseSending(): void {
    if (this.pauseTimer !== undefined) clearTimeout(this.pauseTimer);
    this.pauseTimer = setTimeout(() => {
      this.pauseTimer = undefined;
      this.pump();
    }, this.rateLimitPauseMs);
  }

  private confirm(entry: OutboxEntry<Out>, seq: number, timestamp: number): void {
    this.outbox.remove(entry);
    this.emit("ack", { id: entry.id, data: entry.data, seq, timestamp });
  }

  private advance(seq: number): void {
    if (this.seq === null || seq > this.seq) this.seq = seq;
  }

  private fail(error: ClientError<Out>): void {
    this.emit("error", error);
  }

  private cancelRetry(): void {
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.nextRetryAt = null;
  }
}

function asNotice(frame: unknown): Notice | null {
  if (typeof frame !== "object" || frame === null) return null;
  const f = frame as Record<string, unknown>;
  switch (f.type) {
    case "ack":
      return typeof f.seq === "number" && typeof f.timestamp === "number" ? (f as Notice) : null;
    case "synced":
      return typeof f.seq === "number" ? (f as Notice) : null;
    case "gap":
      return typeof f.from === "number" && typeof f.to === "number" ? (f as Notice) : null;
    case "error":
      return typeof f.code === "string" ? ({ type: "error", code: f.code, detail: String(f.detail ?? "") } as Notice) : null;
    default:
      return null;
  }
}

/** 128 random bits, URL-safe. `crypto.randomUUID` is missing on plain-http pages other than localhost. */
function newId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let id = "";
  for (const byte of bytes) id += byte.toString(16).padStart(2, "0");
  return id;
}
