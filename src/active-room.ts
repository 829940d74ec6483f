// The awake part of a room, shared by both runtimes: one instance per wake-up, holding the room
// object and the Connection wrappers. A runtime supplies a SocketBackend (how it lists, tags,
// attaches to and writes to sockets) and drops the ActiveRoom when the room hibernates — so nothing
// here may be relied on after that; what must survive lives in the socket attachment or in storage.
import { isStorageFull, RoomkitError } from "./errors.ts";
import { log, logRoom, logs, roomLabel } from "./log.ts";
import type { Limits } from "./limits.ts";
import { CloseCode, errorFrame, isSendableCloseCode, STORAGE_FULL_REASON, tooBigReason } from "./protocol.ts";
import type { BroadcastOptions, Connection, FrameData, OutgoingData, Room, RoomClass, RoomHost } from "./room.ts";
import type { RoomStorage } from "./storage.ts";

/** What survives hibernation for one socket. Serialized by the runtime (≤ `maxStateBytes`). */
export interface Attachment {
  id: string;
  tags: readonly string[];
  state: unknown;
  /** The client speaks roomkit's extended protocol (`?roomkit=1`): error frames, acks, notices. */
  extended?: boolean;
}

/** A runtime's sockets, as the shared room code needs them. One object per room, stateless. */
export interface SocketBackend<S> {
  sockets(tag?: string): Iterable<S>;
  count(tag?: string): number;
  attachment(socket: S): Attachment;
  /** Must throw `RoomkitError("STATE_TOO_LARGE")` past `limits.maxStateBytes`. */
  setAttachment(socket: S, attachment: Attachment): void;
  send(socket: S, data: OutgoingData): void;
  close(socket: S, code?: number, reason?: string): void;
  /**
   * Writes one frame to every socket with `tag` (every socket without one) except those in `skip`,
   * encoding it once where the runtime can. It may try sockets that are already closing — their
   * send fails and is ignored, and their close event follows — rather than ask each socket its
   * state. No array of targets is built: a broadcast is the hot path.
   */
  broadcast(data: OutgoingData, tag: string | undefined, skip: readonly S[]): void;
}

export interface Alarms {
  setAlarm(at: number): Promise<void>;
  getAlarm(): Promise<number | null>;
  deleteAlarm(): Promise<void>;
}

export interface ActiveRoomOptions<S> {
  type: string;
  name: string;
  env: Record<string, unknown>;
  backend: SocketBackend<S>;
  storage: () => RoomStorage;
  alarms: Alarms;
  limits: Limits;
}

type Result = void | Promise<void>;

const NO_SOCKETS: readonly never[] = Object.freeze([]);

export class ActiveRoom<S extends object> implements RoomHost {
  readonly type: string;
  readonly name: string;
  readonly env: Record<string, unknown>;
  readonly room: Room;
  private readonly backend: SocketBackend<S>;
  private readonly wrappers = new WeakMap<S, SocketConnection<S>>();
  /** Sockets of the connections built in this wake-up, by id: `except` usually names one of them (the sender). */
  private readonly seen = new Map<string, S>();
  private readonly openStorage: () => RoomStorage;
  private readonly alarms: Alarms;
  readonly limits: Limits;

  constructor(RoomType: RoomClass, options: ActiveRoomOptions<S>) {
    this.type = options.type;
    this.name = options.name;
    this.env = options.env;
    this.backend = options.backend;
    this.openStorage = options.storage;
    this.alarms = options.alarms;
    this.limits = options.limits;
    // Logged before the constructor runs: a constructor that throws is then seen as a failed wake.
    if (logs("info")) logRoom(this.type, this.name, `wake (${plural(this.backend.count(), "connection")})`);
    this.room = new RoomType(this);
  }

  // ---- RoomHost ----
  get storage(): RoomStorage {
    return this.openStorage();
  }

  *connections(tag?: string): Iterable<Connection> {
    for (const socket of this.backend.sockets(tag)) yield this.connection(socket);
  }

  connectionCount(tag?: string): number {
    return this.backend.count(tag);
  }

  getConnection(id: string): Connection | undefined {
    for (const socket of this.backend.sockets()) {
      const connection = this.connection(socket);
      if (connection.id === id) return connection;
    }
    return undefined;
  }

  broadcast(data: OutgoingData, options?: BroadcastOptions): void {
    const except = options?.except;
    const skip = except && except.length > 0 ? this.socketsOf(except, options?.tag) : NO_SOCKETS;
    this.backend.broadcast(data, options?.tag, skip as readonly S[]);
  }

  setAlarm(at: number | Date): Promise<void> {
    return this.alarms.setAlarm(typeof at === "number" ? at : at.getTime());
  }
  getAlarm(): Promise<number | null> {
    return this.alarms.getAlarm();
  }
  deleteAlarm(): Promise<void> {
    return this.alarms.deleteAlarm();
  }

  // ---- events from the runtime ----
  /** A socket was accepted and attached; tell the room. */
  /**
   * `attachment`: the one just set on the socket, when it has nothing a reader could change
   * (`isFixedAttachment`): then reading it back from the runtime would only give a copy of it.
   */
  open(socket: S, request: Request, attachment?: Attachment): Result {
    const connection = this.connection(socket, attachment);
    if (logs("info")) logRoom(this.type, this.name, `connect ${connection.id} (${plural(this.backend.count(), "connection")})`);
    return this.guard(connection, () => this.room.onConnect?.(connection, request));
  }

  message(socket: S, data: FrameData): Result {
    const connection = this.connection(socket);
    const size = typeof data === "string" ? utf8Length(data, this.limits.maxMessageBytes) : data.byteLength;
    if (size > this.limits.maxMessageBytes) {
      connection.close(CloseCode.MESSAGE_TOO_BIG, tooBigReason(this.limits.maxMessageBytes));
      return;
    }
    if (!connection.admit(this.limits)) return;
    if (!this.room.onMessage) return;
    return this.guard(connection, () => this.room.onMessage!(connection, data));
  }

  closed(socket: S, code: number, reason: string, wasClean: boolean): Result {
    const connection = this.connection(socket);
    connection.markClosed();
    this.seen.delete(connection.id);
    if (logs("info")) logRoom(this.type, this.name, `close ${connection.id} code ${code}${wasClean ? "" : " (not clean)"} (${plural(this.backend.count(), "connection")} left)`);
    return this.guard(undefined, () => this.room.onClose?.(connection, code, reason, wasClean), connection);
  }

  /** `logged`: the runtime already logged it (a client's protocol error), so only onError hears of it. */
  errored(socket: S, error: unknown, logged = false): void {
    const connection = this.connection(socket);
    if (logged) this.tellRoom(error, connection);
    else this.report(error, connection);
  }

  alarm(): Result {
    logRoom(this.type, this.name, "alarm");
    return this.guard(undefined, () => this.room.onAlarm?.());
  }

  // ---- internals ----
  connection(socket: S, attachment?: Attachment): SocketConnection<S> {
    let connection = this.wrappers.get(socket);
    if (!connection) {
      connection = new SocketConnection(this.backend, socket, attachment ?? this.backend.attachment(socket), this.name);
      this.wrappers.set(socket, connection);
      this.seen.set(connection.id, socket);
    }
    return connection;
  }

  /**
   * The sockets of the connections `except` names, among those a broadcast to `tag` reaches. Found
   * by id in O(1) when this wake-up has built their connections — the sender's always is —, else by
   * each listed socket's attachment.
   */
  private socketsOf(except: readonly string[], tag: string | undefined): S[] {
    const found: S[] = [];
    for (const id of except) {
      const socket = this.seen.get(id);
      if (socket === undefined) return this.scanFor(except, tag);
      found.push(socket);
    }
    return found;
  }

  private scanFor(except: readonly string[], tag: string | undefined): S[] {
    const found: S[] = [];
    for (const socket of this.backend.sockets(tag)) if (except.includes(this.connection(socket).id)) found.push(socket);
    return found;
  }

  /**
   * Runs room code so that a throw (or a rejected promise) never escapes: it is logged, passed to
   * `onError`, and closes only the connection it came from (`closeOnFault`).
   */
  private guard(closeOnFault: SocketConnection<S> | undefined, fn: () => Result, about = closeOnFault): Result {
    try {
      const result = fn();
      if (result && typeof result.then === "function") {
        return result.then(undefined, (error: unknown) => this.fault(error, closeOnFault, about));
      }
    } catch (error) {
      this.fault(error, closeOnFault, about);
    }
  }

  private fault(error: unknown, closeOnFault: SocketConnection<S> | undefined, about: SocketConnection<S> | undefined): void {
    this.report(error, about);
    if (isStorageFull(error)) closeOnFault?.close(CloseCode.TRY_AGAIN_LATER, STORAGE_FULL_REASON);
    else closeOnFault?.close(CloseCode.INTERNAL_ERROR, "internal error in room");
  }

  private report(error: unknown, connection?: Connection): void {
    const where = connection ? ` connection ${connection.id}` : "";
    log.error(`${roomLabel(this.type, this.name)}${where}: fault:`, error);
    this.tellRoom(error, connection);
  }

  private tellRoom(error: unknown, connection?: Connection): void {
    try {
      this.room.onError?.(error, connection);
    } catch (secondary) {
      log.error(`${roomLabel(this.type, this.name)}: onError threw:`, secondary);
    }
  }
}

/** A socket seen through the Connection interface; rebuilt from the attachment after each wake-up. */
export class SocketConnection<S> implements Connection {
  readonly id: string;
  readonly tags: readonly string[];
  private current: Attachment;
  private open = true;
  // Token bucket for the per-connection rate limit. Kept in memory only: a wake-up refills it.
  private tokens = Number.NaN;
  private refilledAt = 0;

  constructor(
    private readonly backend: SocketBackend<S>,
    readonly socket: S,
    attachment: Attachment,
    private readonly room: string,
  ) {
    this.current = attachment;
    this.id = attachment.id;
    this.tags = attachment.tags;
  }

  get state(): unknown {
    return this.current.state ?? null;
  }

  /** True when the client asked for roomkit's own frames (`?roomkit=1`); article clients did not. */
  get extended(): boolean {
    return this.current.extended === true;
  }

  setState(state: unknown): void {
    const next: Attachment = { ...this.current, state };
    this.backend.setAttachment(this.socket, next);
    this.current = this.backend.attachment(this.socket);
  }

  send(data: OutgoingData): void {
    if (!this.open) throw new RoomkitError("SOCKET_CLOSED", this.room, `connection ${this.id} is closed`);
    this.backend.send(this.socket, data);
  }

  /** Sends `{"type":"error",…}` if the client asked for roomkit frames; otherwise does nothing. */
  sendError(code: string, detail: string): boolean {
    if (!this.extended || !this.open) return false;
    this.backend.send(this.socket, errorFrame(code, detail));
    return true;
  }

  close(code?: number, reason?: string): void {
    // Checked here, before the socket is marked closed: both runtimes would throw on a bad code,
    // and swallowing that below would leave the socket open while the room believes it closed.
    if (code !== undefined && !isSendableCloseCode(code)) {
      throw new RoomkitError("INVALID_CLOSE_CODE", this.room, `close code ${code} cannot be sent; use 1000, 1001–1003, 1007–1014 or 3000–4999`);
    }
    if (reason !== undefined && new TextEncoder().encode(reason).length > 123) {
      throw new RoomkitError("INVALID_CLOSE_CODE", this.room, "a close reason is at most 123 bytes of UTF-8");
    }
    if (!this.open) return;
    this.open = false;
    try {
      this.backend.close(this.socket, code, reason);
    } catch {
      // Already closing: the runtime delivers the close event either way.
    }
  }

  markClosed(): void {
    this.open = false;
  }

  /** Token bucket; false means drop this message. Sustained abuse closes the socket with 1008. */
  admit(limits: Limits): boolean {
    const rate = limits.rateLimit;
    if (!rate) return true;
    const now = Date.now();
    if (Number.isNaN(this.tokens)) {
      this.tokens = rate.burst;
      this.refilledAt = now;
    } else {
      this.tokens = Math.min(rate.burst, this.tokens + ((now - this.refilledAt) / 1000) * rate.perSecond);
      this.refilledAt = now;
    }
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    // Over the limit: every refused message deepens the debt; a full burst of debt is abuse.
    this.tokens -= 1;
    if (this.tokens <= -rate.burst) {
      this.close(CloseCode.POLICY_VIOLATION, "rate limit exceeded");
    } else {
      this.sendError("rate_limited", `more than ${rate.perSecond} messages/s (burst ${rate.burst}); message dropped`);
    }
    return false;
  }
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/** UTF-8 byte length of a string, stopping early once past `cap`. */
function utf8Length(text: string, cap: number): number {
  // Each UTF-16 unit encodes to at most 3 bytes: short strings cannot exceed the cap.
  if (text.length * 3 <= cap) return text.length;
  let bytes = 0;
  for (let i = 0; i < text.length && bytes <= cap; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}
