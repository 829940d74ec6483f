// One room name in the Node process: its sockets (which outlive hibernation) and, while awake, its
// ActiveRoom (which does not). This is the Node side of the SocketBackend strategy; Cloudflare's
// equivalent is the Durable Object's ctx.getWebSockets().
import type { WebSocket } from "ws";
import { ActiveRoom, type Alarms, type Attachment, type SocketBackend } from "../src/active-room.ts";
import type { Limits } from "../src/limits.ts";
import type { OutgoingData, RoomClass } from "../src/room.ts";
import type { RoomStorage } from "../src/storage.ts";
import { encodeAttachment, readAttachment, type StoredAttachment } from "./attachment.ts";

/** A socket as the Node runtime keeps it: the ws object and its attachment. */
export interface NodeSocket {
  readonly ws: WebSocket;
  /** The room it is in. */
  readonly slot: RoomSlot;
  readonly tags: readonly string[];
  attachment: StoredAttachment;
  /** Why the server is closing it, when it may have to cut the TCP connection (code 1006). */
  closing?: { code: number; reason: string };
  /** The client address the admission limits counted it under (released when it closes). */
  readonly address: string;
  /** The heartbeat replies' token bucket, from the first ping on (heartbeat.ts). */
  heartbeats?: { tokens: number; at: number };
  /** Until onConnect has settled: the socket's frames and close wait for it. */
  opening?: Promise<void>;
}

/** ws's readyState of an open socket. */
export const OPEN = 1;
// ws copies the options it is given, so these are shared by every send.
const TEXT = Object.freeze({ binary: false });
const BINARY = Object.freeze({ binary: true });

export interface RoomSlotOptions {
  type: string;
  name: string;
  RoomType: RoomClass;
  env: Record<string, unknown>;
  limits: Limits;
  storage: () => RoomStorage;
  /** Builds the room instance (`build`); a throw fails the wake-up (storage that cannot be opened). */
  construct?: (build: () => ActiveRoom<NodeSocket>) => ActiveRoom<NodeSocket>;
  alarms: Alarms;
}

export class RoomSlot implements SocketBackend<NodeSocket> {
  readonly all = new Set<NodeSocket>();
  private readonly byTag = new Map<string, Set<NodeSocket>>();
  private active: ActiveRoom<NodeSocket> | null = null;
  /** Last event that reached the room (ms); the idle sweeper compares against it. */
  lastEventAt = Date.now();
  /** How many times a room instance was constructed here (observability and tests). */
  wakeups = 0;
  /** Handlers (and alarms) started and not yet settled: workerd never evicts an object with one. */
  private inFlight = 0;

  constructor(
    readonly options: RoomSlotOptions,
    /** Called whenever the last handler in flight settles (the registry then re-checks the slot). */
    private readonly onSettled: (slot: RoomSlot) => void = () => {},
  ) {}

  /** True while no handler is running: the room may hibernate or be removed. */
  get idle(): boolean {
    return this.inFlight === 0;
  }

  /**
   * Runs one event on the room instance (waking it), counting it as in flight until it settles,
   * so the sweeper cannot drop the instance under a handler that is still awaiting. The idle time
   * starts again when the event ends, as on workerd.
   */
  run<T>(event: (room: ActiveRoom<NodeSocket>) => T): T {
    const room = this.wake();
    this.inFlight++;
    let result: T;
    try {
      result = event(room);
    } catch (error) {
      this.settle();
      throw error;
    }
    if (result && typeof (result as { then?: unknown }).then === "function") {
      (result as unknown as Promise<unknown>).then(
        () => this.settle(),
        () => this.settle(),
      );
    } else this.settle();
    return result;
  }

  private settle(): void {
    this.inFlight--;
    this.lastEventAt = Date.now();
    if (this.inFlight === 0) this.onSettled(this);
  }

  get awake(): boolean {
    return this.active !== null;
  }

  /** The room instance, constructing a new one if the room was hibernating. */
  wake(): ActiveRoom<NodeSocket> {
    this.lastEventAt = Date.now();
    if (this.active) return this.active;
    const { RoomType, type, name, env, limits, storage, alarms, construct = (build) => build() } = this.options;
    this.wakeups++;
    this.active = construct(() => new ActiveRoom(RoomType, { type, name, env, limits, storage, alarms, backend: this }));
    return this.active;
  }

  /** Drop the room instance; sockets stay open with their attachments. */
  hibernate(): boolean {
    if (!this.active || this.inFlight > 0) return false;
    this.active = null;
    return true;
  }

  add(socket: NodeSocket): void {
    this.all.add(socket);
    for (const tag of socket.tags) {
      let set = this.byTag.get(tag);
      if (!set) this.byTag.set(tag, (set = new Set()));
      set.add(socket);
    }
  }

  remove(socket: NodeSocket): void {
    this.all.delete(socket);
    for (const tag of socket.tags) {
      const set = this.byTag.get(tag);
      if (!set) continue;
      set.delete(socket);
      if (set.size === 0) this.byTag.delete(tag);
    }
  }

  get size(): number {
    return this.all.size;
  }

  // ---- SocketBackend ----
  sockets(tag?: string): Iterable<NodeSocket> {
    // A snapshot, so room code may close sockets while iterating.
    return [...(tag === undefined ? this.all : (this.byTag.get(tag) ?? []))];
  }

  count(tag?: string): number {
    return tag === undefined ? this.all.size : (this.byTag.get(tag)?.size ?? 0);
  }

  attachment(socket: NodeSocket): Attachment {
    return readAttachment(socket.attachment);
  }

  setAttachment(socket: NodeSocket, attachment: Attachment): void {
    socket.attachment = encodeAttachment(attachment, this.options.limits.maxStateBytes, this.options.name);
  }

  send(socket: NodeSocket, data: OutgoingData): void {
    if (socket.ws.readyState !== OPEN) return;
    socket.ws.send(data);
    this.checkBackpressure(socket);
  }

  broadcast(data: OutgoingData, tag: string | undefined, skip: readonly NodeSocket[]): void {
    const targets = tag === undefined ? this.all : this.byTag.get(tag);
    if (!targets) return;
    // Encode a string once rather than once per socket; one options object for all of them.
    const payload = typeof data === "string" ? Buffer.from(data) : data;
    const options = typeof data === "string" ? TEXT : BINARY;
    // Over the live set, no snapshot: nothing in this loop removes a socket from it synchronously
    // (a slow consumer's terminate() emits 'close' on a later tick, and that is what removes it).
    for (const socket of targets) {
      if (socket.ws.readyState !== OPEN || (skip.length > 0 && skip.includes(socket))) continue;
      socket.ws.send(payload, options);
      this.checkBackpressure(socket);
    }
  }

  close(socket: NodeSocket, code?: number, reason?: string): void {
    socket.ws.close(code, reason);
  }

  private checkBackpressure(socket: NodeSocket): void {
    checkBackpressure(socket, this.options.limits);
  }
}

/** A client that stops reading must not make the server buffer without bound. */
export function checkBackpressure(socket: NodeSocket, limits: Limits): void {
  if (socket.ws.bufferedAmount <= limits.maxBufferedBytes) return;
  slowConsumer(socket);
}

const SLOW_CONSUMER = { code: 1013, reason: "slow consumer: too much unsent data" };

function slowConsumer(socket: NodeSocket): void {
  if (socket.ws.readyState !== OPEN) return;
  socket.closing = SLOW_CONSUMER;
  // The close frame queues behind the unsent data the client is not reading, so it may never
  // arrive; destroying the TCP socket is what releases the buffered memory. The room still
  // learns the real reason through `closing`.
  socket.ws.close(SLOW_CONSUMER.code, SLOW_CONSUMER.reason);
  socket.ws.terminate();
}
