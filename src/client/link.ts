// One socket's life, from the attempt to the end: the connect timeout, the heartbeat, and exactly
// one `end` report however it ends (closed by the server, timed out, or dropped by us). The
// reconnecting logic above it never has to reason about a half-dead socket.
import { HEARTBEAT_REQUEST, HEARTBEAT_RESPONSE } from "../protocol.ts";
import type { WebSocketConstructor, WebSocketLike } from "./socket.ts";

export interface HeartbeatOptions {
  /** Send `ping` this long after the last frame from the server (of any kind). Default 15 000 ms. */
  intervalMs: number;
  /** Declare the connection dead if nothing arrives this long after a `ping`. Default 5 000 ms. */
  timeoutMs: number;
}

export interface LinkOptions {
  /** Give up an attempt that is not open after this long. */
  connectTimeoutMs: number;
  /** `false` turns the heartbeat off. */
  heartbeat: HeartbeatOptions | false;
  /**
   * Close a link that is open but not yet marked `synced()` after this long (resume mode: the room
   * never answered with `synced`). `false`: no such wait.
   */
  syncTimeoutMs: number | false;
}

export interface LinkEnd {
  code: number;
  reason: string;
  wasClean: boolean;
  /** The socket had opened before it ended. */
  opened: boolean;
}

export interface LinkHandlers {
  open(): void;
  text(data: string): void;
  /** A binary frame, as an ArrayBuffer (a Blob where `binaryType` cannot be set). */
  binary(data: ArrayBuffer): void;
  /** The sync timeout passed; the link closes itself (1000, "sync timeout") right after. */
  syncTimeout(ms: number): void;
  end(end: LinkEnd): void;
}

/** No close frame was received: a lost connection, in RFC 6455's terms. */
export const ABNORMAL_CLOSURE = 1006;

export class Link {
  private ws: WebSocketLike | null = null;
  private opened = false;
  private ended = false;
  private connectTimer: ReturnType<typeof setTimeout> | undefined;
  private syncTimer: ReturnType<typeof setTimeout> | undefined;
  /** Armed while no ping is outstanding: fires `intervalMs` after the last frame received. */
  private pingTimer: ReturnType<typeof setTimeout> | undefined;
  /** Armed while a ping is outstanding. */
  private deadTimer: ReturnType<typeof setTimeout> | undefined;
  private lastHeardAt = 0;
  /** A `ping` went out and its `pong` has not come back: only that `pong` is the runtime's, not the room's. */
  private awaitingPong = false;

  constructor(
    WebSocket: WebSocketConstructor,
    url: string,
    private readonly options: LinkOptions,
    private readonly handlers: LinkHandlers,
  ) {
    let ws: WebSocketLike;
    try {
      ws = new WebSocket(url);
    } catch (error) {
      // Reported asynchronously, like every other way an attempt can fail.
      setTimeout(() => this.finish({ code: ABNORMAL_CLOSURE, reason: `cannot open: ${(error as Error).message}`, wasClean: false, opened: false }));
      return;
    }
    this.ws = ws;
    try {
      ws.binaryType = "arraybuffer";
    } catch {
      // Read-only in some implementations: binary frames then arrive as Blobs.
    }
    ws.onopen = () => this.onOpen();
    ws.onmessage = (event: { data: unknown }) => this.onMessage(event.data);
    ws.onclose = (event: { code: number; reason: string; wasClean: boolean }) => this.finish({ code: event.code, reason: event.reason, wasClean: event.wasClean, opened: this.opened });
    // An error is always followed by a close event, which carries what we need.
    ws.onerror = () => {};
    this.connectTimer = setTimeout(() => this.drop("connect timeout"), options.connectTimeoutMs);
  }

  get isOpen(): boolean {
    return this.opened && !this.ended;
  }

  send(text: string): void {
    if (this.isOpen) this.ws!.send(text);
  }

  /** The room answered with `synced`: the sync timeout no longer applies. */
  synced(): void {
    if (this.syncTimer !== undefined) clearTimeout(this.syncTimer);
    this.syncTimer = undefined;
  }

  /** Closes with a close frame, and reports the end now rather than when the server answers. */
  close(code: number, reason: string): void {
    if (this.ended) return;
    const ws = this.detach();
    try {
      ws?.close(code, reason);
    } catch {
      // Already closing.
    }
    this.finish({ code, reason, wasClean: true, opened: this.opened });
  }

  private onOpen(): void {
    if (this.ended) return;
    this.opened = true;
    if (this.connectTimer !== undefined) clearTimeout(this.connectTimer);
    this.lastHeardAt = Date.now();
    if (this.options.heartbeat) this.armPing(this.options.heartbeat.intervalMs);
    const syncTimeoutMs = this.options.syncTimeoutMs;
    if (syncTimeoutMs !== false) {
      this.syncTimer = setTimeout(() => {
        this.syncTimer = undefined;
        this.handlers.syncTimeout(syncTimeoutMs);
        this.close(1000, "sync timeout");
      }, syncTimeoutMs);
    }
    this.handlers.open();
  }

  private onMessage(data: unknown): void {
    if (this.ended) return;
    this.lastHeardAt = Date.now();
    if (this.deadTimer !== undefined) {
      // The ping is answered (by this frame or an earlier one): back to waiting for silence.
      clearTimeout(this.deadTimer);
      this.deadTimer = undefined;
      if (this.options.heartbeat) this.armPing(this.options.heartbeat.intervalMs);
    }
    if (typeof data !== "string") {
      this.handlers.binary(data as ArrayBuffer);
      return;
    }
    if (data === HEARTBEAT_RESPONSE && this.awaitingPong) {
      this.awaitingPong = false;
      return;
    }
    this.handlers.text(data);
  }

  // One timer, not one per frame: when it fires early because frames came meanwhile, it is set
  // again for the rest of the quiet interval, so the ping goes out `intervalMs` after the last frame.
  private armPing(delayMs: number): void {
    this.pingTimer = setTimeout(() => this.beat(), delayMs);
  }

  private beat(): void {
    this.pingTimer = undefined;
    const heartbeat = this.options.heartbeat;
    if (!heartbeat || this.ended) return;
    const quietFor = Date.now() - this.lastHeardAt;
    if (quietFor < heartbeat.intervalMs) return this.armPing(heartbeat.intervalMs - quietFor);
    this.ws?.send(HEARTBEAT_REQUEST);
    this.awaitingPong = true;
    this.deadTimer = setTimeout(() => this.drop("heartbeat timeout"), heartbeat.timeoutMs);
  }

  /** The socket is unusable (never opened, or silent): abandon it without waiting for a handshake. */
  private drop(reason: string): void {
    if (this.ended) return;
    const ws = this.detach() as (WebSocketLike & { terminate?: () => void }) | null;
    try {
      // ws (Node) can destroy the TCP connection at once; a browser socket closes in the background.
      if (ws?.terminate) ws.terminate();
      else ws?.close();
    } catch {
      // Closing a socket that is still connecting may throw in some implementations.
    }
    this.finish({ code: ABNORMAL_CLOSURE, reason, wasClean: false, opened: this.opened });
  }

  private detach(): WebSocketLike | null {
    const ws = this.ws;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = null;
      // Keep swallowing errors: an unhandled 'error' would crash a Node process using ws.
      ws.onerror = () => {};
    }
    return ws;
  }

  private finish(end: LinkEnd): void {
    if (this.ended) return;
    this.ended = true;
    if (this.connectTimer !== undefined) clearTimeout(this.connectTimer);
    if (this.syncTimer !== undefined) clearTimeout(this.syncTimer);
    if (this.pingTimer !== undefined) clearTimeout(this.pingTimer);
    if (this.deadTimer !== undefined) clearTimeout(this.deadTimer);
    this.detach();
    this.handlers.end(end);
  }
}
