// The in-process registry: one RoomSlot per (room type, room name), created on first connection
// and removed once it has had no socket and no event for the idle time. Idle rooms hibernate as
// Durable Objects do — the room instance is dropped, the sockets stay — so room code that keeps
// state in fields fails here as on Cloudflare.
import type { WebSocket } from "ws";
import type { ActiveRoom, Alarms } from "../src/active-room.ts";
import { newAttachment, type ConnectTarget } from "../src/connect.ts";
import { RoomkitError } from "../src/errors.ts";
import type { Limits } from "../src/limits.ts";
import { log, logRoom, roomLabel } from "../src/log.ts";
import { CloseCode, HEARTBEAT_REQUEST } from "../src/protocol.ts";
import type { RoomClass } from "../src/room.ts";
import { AlarmIndex } from "./alarm-index.ts";
import { AlarmTimers } from "./alarms.ts";
import { NO_TAGS, storeAttachment, type StoredAttachment } from "./attachment.ts";
import { answerHeartbeat } from "./heartbeat.ts";
import { ProtocolErrorLog, isClientProtocolError } from "./protocol-errors.ts";
import type { RoomInfo } from "./room-info.ts";
import { RoomSlot, type NodeSocket } from "./room-slot.ts";
import { checkDataDir } from "./data-dir.ts";
import { OpenDatabases, autoOpenDatabases } from "./open-databases.ts";
import { MEMORY, SqliteRoomStorage, databasePath, synchronousMode } from "./storage.ts";

export interface RoomRegistryOptions {
  rooms: Record<string, RoomClass>;
  env: Record<string, unknown>;
  limits: Limits;
  /** Directory of the per-room databases, or ":memory:". */
  dataDir: string;
  /** Idle time after which a room instance is dropped (Cloudflare: about 10 s). */
  hibernateAfterMs: number;
  /** A socket accepted into a room has closed (the admission limits release its address). */
  onSocketClosed?: (socket: NodeSocket) => void;
}

const HEARTBEAT = Buffer.from(HEARTBEAT_REQUEST);
/** What runFor returns when the room could not be woken for the event. */
const NOT_WOKEN = Symbol("not woken");
const ROOM_UNAVAILABLE = { code: CloseCode.INTERNAL_ERROR, reason: "room could not be started" };
/** A socket's first attachment, checked (and encoded unless it is fixed) before the upgrade. */
export interface Prepared {
  tags: readonly string[];
  attachment: StoredAttachment;
}

export class RoomRegistry {
  private readonly slots = new Map<string, RoomSlot>();
  private readonly databases = new Map<string, SqliteRoomStorage>();
  /** Databases of rooms removed before the sweeper saw them idle, and since when (the sweeper closes them). */
  private readonly emptySince = new Map<string, number>();
  private readonly alarmTimers = new AlarmTimers((key) => void this.fireAlarm(key));
  private readonly sweeper: NodeJS.Timeout;
  /** Rooms with a pending alarm (none for ":memory:", whose alarms cannot outlive the process). */
  private readonly alarmIndex: AlarmIndex | null;
  /** The cap on open room databases. */
  readonly openDatabases: OpenDatabases;
  private readonly synchronous: "NORMAL" | "FULL";
  /** Set once close() has closed the databases: no storage is opened again. */
  private closed = false;
  private readonly protocolErrors = new ProtocolErrorLog();
  /** Each accepted ws's socket, for the listeners below. */
  private readonly accepted = new WeakMap<WebSocket, NodeSocket>();
  /**
   * The ws listeners of every accepted socket: one set per registry (ws calls them with the socket
   * as `this`), rather than a closure per listener and a scope per socket, kept for its lifetime.
   */
  private readonly listeners: {
    message(this: WebSocket, data: Buffer, isBinary: boolean): void;
    close(this: WebSocket, code: number, reason: Buffer): void;
    error(this: WebSocket, error: Error): void;
  };

  constructor(readonly options: RoomRegistryOptions) {
    const registry = this;
    this.listeners = {
      message(data, isBinary) {
        registry.onFrame(registry.accepted.get(this)!, data, isBinary);
      },
      close(code, reason) {
        registry.onClose(registry.accepted.get(this)!, code, reason);
      },
      error(error) {
        registry.onError(registry.accepted.get(this)!, error);
      },
    };
    this.synchronous = synchronousMode(options.env);
    const cap = options.limits.maxOpenDatabases;
    this.openDatabases = new OpenDatabases(cap === "auto" ? autoOpenDatabases() : cap, (storage) => {
      const slot = this.slots.get(key(storage.room.type, storage.room.name));
      return slot !== undefined && slot.awake && slot.size > 0;
    });
    if (options.dataDir === MEMORY) this.alarmIndex = null;
    else {
      checkDataDir(options.dataDir);
      this.alarmIndex = new AlarmIndex(options.dataDir, this.synchronous);
    }
    const every = Math.max(20, Math.min(1000, options.hibernateAfterMs / 4));
    this.sweeper = setInterval(() => this.hibernateIdle(), every);
    this.sweeper.unref();
  }

  /** Live sockets in a room (0 when the room does not exist). */
  connectionCount(type: string, name: string): number {
    return this.slots.get(key(type, name))?.size ?? 0;
  }

  /** A snapshot of every live room: those with a socket, a handler still running, or an instance not yet idle for the idle time. */
  rooms(): RoomInfo[] {
    const list: RoomInfo[] = [];
    for (const slot of this.slots.values()) {
      list.push({ type: slot.options.type, name: slot.options.name, connections: slot.size, awake: slot.awake, lastEventAt: slot.lastEventAt });
    }
    return list;
  }

  /** Wake-ups so far of the room's current slot (tests, diagnostics). */
  slot(type: string, name: string): RoomSlot | undefined {
    return this.slots.get(key(type, name));
  }

  /** The socket's first attachment, checked against the limits before the upgrade. */
  prepare(target: ConnectTarget): Prepared {
    const attachment = newAttachment(target, this.options.limits);
    const stored = storeAttachment(attachment, this.options.limits.maxStateBytes, target.name);
    return { tags: attachment.tags.length > 0 ? attachment.tags : NO_TAGS, attachment: stored };
  }

  /**
   * Wakes the room a socket is about to join, before the 101: a room that cannot start (its
   * constructor throws, its storage cannot be opened) refuses that upgrade and nothing else.
   */
  start(target: ConnectTarget): void {
    const slot = this.ensureSlot(target.type, target.name);
    try {
      slot.wake();
    } catch (error) {
      this.removeIfEmpty(slot);
      throw new RoomkitError("ROOM_START_FAILED", target.name, `room type "${target.type}" could not be started`, { cause: error });
    }
  }

  /** An upgrade that `start` prepared for did not complete: forget the room if nobody is in it. */
  abandon(target: ConnectTarget): void {
    const slot = this.slots.get(key(target.type, target.name));
    if (slot) this.removeIfEmpty(slot);
  }

  /**
   * Attach an upgraded socket to its room and tell the room. The returned promise settles when
   * onConnect has: until then the room gets no other event from this socket (the order of events
   * is the same as on Cloudflare, where the 101 waits for onConnect).
   */
  accept(target: ConnectTarget, prepared: Prepared, ws: WebSocket, request: Request, address: string): void | Promise<void> {
    const slot = this.ensureSlot(target.type, target.name);
    const socket: NodeSocket = { ws, slot, tags: prepared.tags, attachment: prepared.attachment, closing: undefined, address, heartbeats: undefined, opening: undefined };
    slot.add(socket);
    this.accepted.set(ws, socket);
    ws.on("message", this.listeners.message);
    ws.on("close", this.listeners.close);
    ws.on("error", this.listeners.error);
    const opened = this.open(slot, socket, request);
    if (!opened || opened === NOT_WOKEN) return;
    // Frames already read may still be emitted while paused; those wait on `opening` (onFrame).
    ws.pause();
    socket.opening = opened.then(() => {
      socket.opening = undefined;
      ws.resume();
    });
    return socket.opening;
  }

  private onFrame(socket: NodeSocket, data: Buffer, isBinary: boolean): void {
    // The heartbeat is answered here, like Cloudflare's auto-response: the room never sees it,
    // and it does not count as activity, so it cannot keep the room awake.
    if (!isBinary && data.length === HEARTBEAT.length && data.equals(HEARTBEAT)) {
      answerHeartbeat(socket, this.options.limits);
      return;
    }
    if (socket.opening) void socket.opening.then(() => this.deliver(socket, data, isBinary));
    else this.deliver(socket, data, isBinary);
  }

  private deliver(socket: NodeSocket, data: Buffer, isBinary: boolean): void {
    const payload = isBinary ? data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) : data.toString();
    this.runFor(socket.slot, socket, (room) => room.message(socket, payload as string | ArrayBuffer));
  }

  private onClose(socket: NodeSocket, code: number, reason: Buffer): void {
    socket.slot.remove(socket);
    this.options.onSocketClosed?.(socket);
    if (socket.opening) void socket.opening.then(() => this.reportClose(socket, code, reason));
    else this.reportClose(socket, code, reason);
  }

  private reportClose(socket: NodeSocket, code: number, reason: Buffer): void {
    const cut = code === 1006 && socket.closing;
    const reported = this.runFor(socket.slot, socket, (room) =>
      cut ? room.closed(socket, socket.closing!.code, socket.closing!.reason, false) : room.closed(socket, code, reason.toString(), code !== 1006),
    );
    // A room that could not wake has no event to settle; remove it here if it is empty.
    if (reported === NOT_WOKEN) this.removeIfEmpty(socket.slot);
  }

  private onError(socket: NodeSocket, error: Error): void {
    const fromClient = isClientProtocolError(error);
    const { slot } = socket;
    if (fromClient) this.protocolErrors.note(slot.options.type, slot.options.name, error);
    this.runFor(slot, socket, (room) => room.errored(socket, error, fromClient));
  }

  /**
   * onConnect, from a method of its own: a closure over `request` inside accept() would put the
   * request in the scope its socket listeners share, and so keep it for the socket's lifetime.
   */
  private open(slot: RoomSlot, socket: NodeSocket, request: Request) {
    return this.runFor(slot, socket, (room) => room.open(socket, request));
  }

  /**
   * Runs one event of `socket` in its room (woken if it hibernated; counted as in flight until it
   * settles). A room that cannot wake closes this socket with 1011 and is logged; the exception
   * never reaches a ws listener (nor the process).
   */
  private runFor<T>(slot: RoomSlot, socket: NodeSocket, event: (room: ActiveRoom<NodeSocket>) => T): T | typeof NOT_WOKEN {
    try {
      return slot.run(event);
    } catch (error) {
      log.error(`${roomLabel(slot.options.type, slot.options.name)}: could not be woken:`, error);
      socket.closing ??= ROOM_UNAVAILABLE;
      socket.ws.close(ROOM_UNAVAILABLE.code, ROOM_UNAVAILABLE.reason);
      return NOT_WOKEN;
    }
  }

  /** Drop the instance of room `type`/`name` (every room of `type` without a name) now. Returns how many were dropped. */
  hibernate(type: string, name?: string): number {
    let dropped = 0;
    for (const slot of this.slots.values()) {
      if (slot.options.type === type && (name === undefined || slot.options.name === name) && this.hibernateSlot(slot)) dropped++;
    }
    return dropped;
  }

  /** Re-arm the pending alarms (server start), from the alarm index: no room file is opened. */
  restoreAlarms(): number {
    let armed = 0;
    for (const { type, name, at } of this.alarmIndex?.all() ?? []) {
      if (!this.options.rooms[type]) continue;
      this.alarmTimers.arm(key(type, name), at);
      armed++;
    }
    return armed;
  }

  /** Close every socket (shutdown), stop timers, close databases. */
  async close(code: number, reason: string): Promise<void> {
    clearInterval(this.sweeper);
    this.alarmTimers.stop();
    const closing: Promise<void>[] = [];
    for (const slot of this.slots.values()) {
      for (const socket of slot.sockets()) {
        closing.push(new Promise((resolve) => socket.ws.once("close", () => resolve())));
        // A client that never answers the close handshake must not hold the shutdown: it is cut
        // after 2 s, which ws reports as 1006. The room still hears why the server closed it.
        socket.closing ??= { code, reason };
        socket.ws.close(code, reason);
        setTimeout(() => socket.ws.terminate(), 2000).unref();
      }
    }
    await Promise.all(closing);
    await this.settle();
    this.closed = true;
    // Kept, closed: a room code's late call reaches its closed storage and fails there.
    for (const storage of this.databases.values()) storage.close();
    this.alarmIndex?.close();
  }

  /**
   * Waits (up to 5 s) for every room's handlers to settle and for the writes rooms deferred to the
   * next turn of the event loop (the chat batches a turn's messages into one transaction), so what
   * was accepted is stored before the databases close.
   */
  private async settle(): Promise<void> {
    const deadline = Date.now() + 5000;
    do {
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setTimeout(resolve, 0));
    } while ([...this.slots.values()].some((slot) => !slot.idle) && Date.now() < deadline);
  }

  private ensureSlot(type: string, name: string): RoomSlot {
    const id = key(type, name);
    let slot = this.slots.get(id);
    if (slot) return slot;
    this.emptySince.delete(id);
    const RoomType = this.options.rooms[type];
    if (!RoomType) throw new RoomkitError("UNKNOWN_ROOM_TYPE", name, `no room type "${type}"`);
    slot = new RoomSlot({
      type,
      name,
      RoomType,
      env: this.options.env,
      limits: this.options.limits,
      storage: () => this.storage(type, name),
      construct: (build) => {
        const storage = this.storage(type, name);
        // A file that cannot be opened fails the wake-up, before the room's code runs.
        storage.check();
        return storage.construct(build);
      },
      alarms: this.alarms(type, name),
    }, (settled) => this.removeIfEmpty(settled));
    this.slots.set(id, slot);
    return slot;
  }

  private storage(type: string, name: string): SqliteRoomStorage {
    const id = key(type, name);
    let storage = this.databases.get(id);
    if (!storage) {
      // A late call from a room of a closed server (a timer, a handler that outlived close): fail it, never reopen the file.
      if (this.closed) throw new RoomkitError("STORAGE", name, `the storage of room type "${type}" is closed (the server was closed)`);
      const watcher = this.options.dataDir === MEMORY ? undefined : this.openDatabases;
      storage = new SqliteRoomStorage(databasePath(this.options.dataDir, type, name), { type, name }, { synchronous: this.synchronous, watcher });
      this.databases.set(id, storage);
    }
    return storage;
  }

  private alarms(type: string, name: string): Alarms {
    const id = key(type, name);
    return {
      setAlarm: async (at) => {
        const storage = this.storage(type, name);
        // The index first: an entry without an alarm in the room's file fires nothing.
        this.alarmIndex?.set(type, name, at);
        storage.setMeta("alarm", at);
        this.alarmTimers.arm(id, at);
      },
      getAlarm: async () => {
        const at = this.storage(type, name).getMeta("alarm");
        return typeof at === "number" ? at : null;
      },
      deleteAlarm: async () => {
        this.storage(type, name).setMeta("alarm", null);
        this.alarmIndex?.delete(type, name);
        this.alarmTimers.disarm(id);
      },
    };
  }

  /** An alarm's timer fired: run onAlarm (waking the room). A room that cannot wake logs it and keeps its alarm for the next start. */
  private async fireAlarm(id: string): Promise<void> {
    const [type, name] = id.split("\u0000") as [string, string];
    let slot: RoomSlot | undefined;
    try {
      slot = this.ensureSlot(type, name);
      const storage = this.storage(type, name);
      const at = storage.getMeta("alarm");
      if (typeof at !== "number") {
        this.alarmIndex?.delete(type, name);
        return this.removeIfEmpty(slot);
      }
      // The index said earlier than the room's file (a crash between the two writes): wait for the file's time.
      if (at > Date.now() + 5) return void this.alarmTimers.arm(id, at);
      // Cleared before the handler runs, as on Cloudflare, so onAlarm may set the next one.
      storage.setMeta("alarm", null);
      this.alarmIndex?.delete(type, name);
      await slot.run((room) => room.alarm());
    } catch (error) {
      log.error(`room ${type} "${name}": the alarm could not run:`, error);
      if (slot) this.removeIfEmpty(slot);
    }
  }

  private hibernateIdle(): void {
    const cutoff = Date.now() - this.options.hibernateAfterMs;
    for (const slot of this.slots.values()) {
      if (!slot.idle || slot.lastEventAt > cutoff) continue;
      // Empty and idle for the idle time: nobody came back, so its database closes with it.
      if (slot.awake) this.hibernateSlot(slot, true);
      else if (slot.size === 0) this.remove(slot, true);
    }
    this.closeUnusedDatabases(cutoff);
  }

  /**
   * Drop the room instance and close its database connection: a hibernated room holds its sockets
   * and their attachments, nothing else. The next event or alarm reopens the database.
   */
  private hibernateSlot(slot: RoomSlot, idleForIdleTime = false): boolean {
    if (!slot.hibernate()) return false;
    // Node only: workerd evicts an object without telling it, so the Worker cannot log this line.
    logRoom(slot.options.type, slot.options.name, `hibernate (${slot.size} connection${slot.size === 1 ? "" : "s"})`);
    this.databases.get(key(slot.options.type, slot.options.name))?.release();
    if (slot.size === 0) this.remove(slot, idleForIdleTime);
    return true;
  }

  /** A room's storage, when its database has been opened since the server started (tests, diagnostics). */
  database(type: string, name: string): SqliteRoomStorage | undefined {
    return this.databases.get(key(type, name));
  }

  /**
   * A room with no sockets and no instance (it never woke, or it hibernated) is removed at once. One
   * whose instance is awake stays until the sweeper finds it idle for the idle time, as a Durable
   * Object stays in memory after its last socket left: a visitor back sooner meets the same
   * instance, and a room whose visitors come and go one at a time is not rebuilt, nor its database
   * reopened, per visit.
   */
  private removeIfEmpty(slot: RoomSlot): void {
    // A handler still awaiting keeps the slot: a newcomer must find this instance, not build a second.
    if (slot.size > 0 || !slot.idle || slot.awake) return;
    this.remove(slot, false);
  }

  /**
   * Forgets an empty room. Its database closes now if the room was idle for the idle time, else
   * once it has been (closing a WAL database checkpoints it and removes its -wal and -shm files).
   */
  private remove(slot: RoomSlot, idle: boolean): void {
    const id = key(slot.options.type, slot.options.name);
    if (this.slots.get(id) !== slot) return;
    this.slots.delete(id);
    if (!this.databases.has(id)) return;
    if (!idle) return void this.emptySince.set(id, Date.now());
    this.databases.get(id)!.close();
    this.databases.delete(id);
  }

  private closeUnusedDatabases(cutoff: number): void {
    for (const [id, since] of this.emptySince) {
      if (since > cutoff) continue;
      // A room that got a socket again left this map then (ensureSlot).
      this.emptySince.delete(id);
      this.databases.get(id)?.close();
      this.databases.delete(id);
    }
  }
}

function key(type: string, name: string): string {
  return `${type}\u0000${name}`;
}
