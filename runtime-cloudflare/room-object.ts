// A Room class as a Durable Object with WebSocket hibernation. The object holds nothing that must
// outlive an eviction: sockets come from ctx.getWebSockets(), per-socket data from attachments,
// the rest from ctx.storage. One ActiveRoom is built per object instance, so the room's
// constructor runs again after every eviction, exactly as on the Node runtime.
import { DurableObject } from "cloudflare:workers";
import { getQueryParam } from "hono/utils/url";
import { ActiveRoom, type Attachment } from "../src/active-room.ts";
import { TARGET_HEADER, isFixedAttachment, newAttachment, type ConnectTarget } from "../src/connect.ts";
import { RoomkitError } from "../src/errors.ts";
import { resolveLimits, type Limits } from "../src/limits.ts";
import { log, logLevelFromEnv, roomLabel } from "../src/log.ts";
import { CloseCode, HEARTBEAT_REQUEST, HEARTBEAT_RESPONSE, isSendableCloseCode } from "../src/protocol.ts";
import type { RoomClass } from "../src/room.ts";
import { HibernatableSockets } from "./sockets.ts";
import { DurableRoomStorage, durableAlarms } from "./storage.ts";

export type Env = Record<string, unknown>;

export interface RoomObjectOptions {
  /** The room type: its key in the app's `rooms`. */
  type: string;
  /** The app's limits; `ROOMKIT_*` vars override them, as on Node. */
  limits?: Partial<Limits>;
}

export interface RoomObjectClass {
  new (ctx: DurableObjectState, env: Env): DurableObject<Env>;
  /** The room type this class serves (its key in the app's `rooms`); roomkit/testing maps types to classes by it. */
  readonly roomType: string;
}

// Codes workerd reports for a peer that sent no usable Close frame: there is nothing to answer.
const NO_HANDSHAKE = new Set([1006, 1015]);

export function roomObject(RoomType: RoomClass, options: RoomObjectOptions): RoomObjectClass {
  return class RoomObject extends DurableObject<Env> {
    static readonly roomType = options.type;
    private readonly limits: Limits;
    private readonly sockets: HibernatableSockets;
    private readonly storage: DurableRoomStorage;
    private active: ActiveRoom<WebSocket> | undefined;
    /**
     * Never fewer than the sockets workerd lists for this object: counted once, plus every socket
     * accepted since. Only this instance accepts sockets, so the bound holds until it is evicted.
     */
    private listedAtMost: number | undefined;
    private roomName: string | undefined;

    constructor(ctx: DurableObjectState, env: Env) {
      super(ctx, env);
      logLevelFromEnv(env);
      this.limits = resolveLimits(options.limits, env);
      this.sockets = new HibernatableSockets(ctx, () => this.name(), this.limits.maxStateBytes);
      this.storage = new DurableRoomStorage(ctx.storage, () => this.name());
      // Answered by the runtime itself: heartbeats never wake (or bill) a hibernating object.
      ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(HEARTBEAT_REQUEST, HEARTBEAT_RESPONSE));
    }

    // Not async, as the socket handlers below: an upgrade whose onConnect returns nothing is answered
    // without a promise for workerd to wait on.
    override fetch(request: Request): Response | Promise<Response> {
      const target = this.target(request);
      if (!target) return text("A roomkit room is reached through its Worker.", 400);
      if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") return text("Expected a WebSocket upgrade request.", 426);
      this.rememberName(target.name);
      const max = this.limits.maxConnectionsPerRoom;
      if (this.isFull(max)) return text(`Room "${target.name}" is full (${max} connections).`, 503);
      const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
      let tags: string[];
      let attachment: Attachment;
      try {
        attachment = newAttachment(target, this.limits);
        tags = [...attachment.tags];
        this.sockets.setAttachment(server, attachment);
      } catch (error) {
        if (error instanceof RoomkitError) return text(error.message, 400);
        throw error;
      }
      let active: ActiveRoom<WebSocket>;
      try {
        // Before any socket is accepted: a room whose constructor throws refuses the upgrade.
        active = this.room();
      } catch (error) {
        log.error(`${roomLabel(options.type, target.name)}: could not be started:`, error);
        return text(`Room "${target.name}" could not be started; try again later.`, 503);
      }
      // Compatibility dates from 2026-03-17 default to Blob; rooms are promised ArrayBuffers.
      server.binaryType = "arraybuffer";
      this.ctx.acceptWebSocket(server, tags);
      this.listedAtMost!++;
      // A fixed attachment is handed to the room as it is: reading it back would only copy it.
      const opened = active.open(server, request, isFixedAttachment(attachment) ? attachment : undefined);
      return opened ? opened.then(() => switched(client)) : switched(client);
    }

    // Not async: a room that handles a frame synchronously returns nothing, and workerd then has
    // no promise to wait on before the next frame.
    override webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): void | Promise<void> {
      const room = this.wake(ws);
      if (!room) return;
      if (typeof message === "string" || message instanceof ArrayBuffer) return room.message(ws, message);
      return (message as Blob).arrayBuffer().then((data) => room.message(ws, data));
    }

    override webSocketClose(ws: WebSocket, code: number, reason: string, wasClean: boolean): void | Promise<void> {
      // Hibernatable sockets do not answer a peer's Close frame by themselves on any compatibility
      // date (web_socket_auto_reply_to_close covers accept() only): without this the client waits,
      // then sees 1006.
      if (!NO_HANDSHAKE.has(code)) {
        try {
          // workerd reports an empty Close frame and one carrying 1005 alike, as 1005: both get 1000.
          // A code no endpoint may send (999, 1004, 2999…) fails the connection, as RFC 6455 says.
          if (code === 1005) ws.close(CloseCode.NORMAL, reason);
          else if (isSendableCloseCode(code)) ws.close(code, reason);
          else ws.close(CloseCode.PROTOCOL_ERROR, "invalid close code");
        } catch {
          // Already closed from this side: the room closed it, and this is the peer's answer.
        }
      }
      if (!this.sockets.forget(ws)) return;
      return this.wake(ws)?.closed(ws, code, reason, wasClean);
    }

    override webSocketError(ws: WebSocket, error: unknown): void | Promise<void> {
      // The socket is dead after an error and workerd may send no close event for it; report the
      // close here, as the Node runtime does after 'error'.
      if (!this.sockets.forget(ws)) return;
      const room = this.wake(ws);
      if (!room) return;
      room.errored(ws, error);
      return room.closed(ws, 1006, "", false);
    }

    override async alarm(): Promise<void> {
      await this.room().alarm();
    }

    // ---- internals ----
    /**
     * The Worker's target header; without one, a request the Worker forwarded as the client sent it
     * (the auth hook gave no tags or state): this object's own type and name, and `?roomkit=1` read
     * as the router reads it.
     */
    private target(request: Request): ConnectTarget | undefined {
      const header = request.headers.get(TARGET_HEADER);
      if (header) return parseTarget(header);
      const name = this.ctx.id.name;
      if (name === undefined) return undefined;
      return { type: options.type, name, init: { extended: getQueryParam(request.url, "roomkit") === "1" } };
    }

    /**
     * getWebSockets() lists every socket of the object on each call: counted per upgrade, opening a
     * room of N sockets cost O(N²). The bound is counted again only when it reaches the limit.
     * Sockets still closing count too: workerd holds them until their close handler has run.
     */
    private isFull(max: number): boolean {
      if (this.listedAtMost === undefined || this.listedAtMost >= max) this.listedAtMost = this.ctx.getWebSockets().length;
      return this.listedAtMost >= max;
    }

    /**
     * The room for an event of `ws`, woken if it hibernated; a room that cannot wake (its
     * constructor throws) closes that socket with 1011 and is logged, as on Node, rather than
     * leaving the client to a socket that answers nothing.
     */
    private wake(ws: WebSocket): ActiveRoom<WebSocket> | undefined {
      try {
        return this.room();
      } catch (error) {
        log.error(`${roomLabel(options.type, this.name())}: could not be woken:`, error);
        try {
          ws.close(CloseCode.INTERNAL_ERROR, "room could not be started");
        } catch {
          // Already closed: this was its close event.
        }
        return undefined;
      }
    }

    private room(): ActiveRoom<WebSocket> {
      this.active ??= new ActiveRoom(RoomType, {
        type: options.type,
        name: this.name(),
        env: this.env,
        backend: this.sockets,
        storage: () => this.storage,
        alarms: durableAlarms(this.ctx.storage),
        limits: this.limits,
      });
      return this.active;
    }

    private name(): string {
      this.roomName ??= this.ctx.id.name ?? storedName(this.ctx.storage) ?? this.ctx.id.toString();
      return this.roomName;
    }

    /** Objects not addressed by name (no ctx.id.name) keep the router's name for later events. */
    private rememberName(name: string): void {
      if (this.ctx.id.name !== undefined || this.roomName === name) return;
      if (storedName(this.ctx.storage) !== name) {
        const sql = this.ctx.storage.sql;
        sql.exec(`CREATE TABLE IF NOT EXISTS ${META} (key TEXT PRIMARY KEY, value ANY) WITHOUT ROWID`);
        sql.exec(`INSERT INTO ${META} (key, value) VALUES ('name', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`, name);
        log.info(`${roomLabel(options.type, name)}: stored its name (the object's id carries none)`);
      }
      this.roomName = name;
    }
  };
}

const META = "_roomkit_meta";

function storedName(storage: DurableObjectStorage): string | undefined {
  const sql = storage.sql;
  const exists = sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", META).toArray().length > 0;
  if (!exists) return undefined;
  const row = sql.exec<{ value: string }>(`SELECT value FROM ${META} WHERE key = 'name'`).toArray()[0];
  return typeof row?.value === "string" ? row.value : undefined;
}

function parseTarget(header: string): ConnectTarget | undefined {
  try {
    return JSON.parse(header) as ConnectTarget;
  } catch {
    return undefined;
  }
}

function switched(client: WebSocket): Response {
  return new Response(null, { status: 101, webSocket: client });
}

function text(body: string, status: number): Response {
  return new Response(body, { status, headers: { "content-type": "text/plain; charset=UTF-8" } });
}
