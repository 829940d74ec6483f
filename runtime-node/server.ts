// The self-hosted runtime: the shared Hono router on @hono/node-server, sockets through its built-in
// upgradeWebSocket over a `ws` server in noServer mode.
import { STATUS_CODES } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import type { ServerType } from "@hono/node-server";
import type { Context } from "hono";
import { createAdaptorServer, upgradeWebSocket, WebSocket, WebSocketServer } from "./peers.ts";
import type { ConnectTarget } from "../src/connect.ts";
import { RoomkitError } from "../src/errors.ts";
import { logLevelFromEnv } from "../src/log.ts";
import { resolveLimits, type Limits } from "../src/limits.ts";
import { CloseCode, tooBigReason } from "../src/protocol.ts";
import { createRouter, type RoomkitApp } from "../src/router.ts";
import { RoomRegistry } from "./rooms.ts";

export interface NodeServerOptions {
  /** Default 8787. `0` picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** What rooms see as `host.env`, and where `ROOMKIT_*` limits are read. Default `process.env`. */
  env?: Record<string, unknown>;
  /** Overrides the app's limits and the environment. */
  limits?: Partial<Limits>;
  /** Per-room SQLite files live here; ":memory:" keeps nothing. Default `ROOMKIT_DATA_DIR` or `.data`. */
  dataDir?: string;
  /** Idle time before a room instance is dropped, as a Durable Object is evicted. Default 10 000 ms. */
  hibernateAfterMs?: number;
  /** Let ws compress frames (off by default: it costs CPU and ~300 KB of memory per socket). */
  perMessageDeflate?: boolean;
}

export interface RoomServer {
  readonly url: string;
  /** @internal The rooms of this server, for roomkit's own tests. */
  readonly registry: RoomRegistry;
  readonly limits: Limits;
  /** Drop a room's instance now; its sockets stay open. Returns how many instances were dropped. */
  hibernate(name: string, type?: string): number;
  /** Close every socket with `code` (1001 by default), then the HTTP server. */
  close(code?: number, reason?: string): Promise<void>;
}

export async function serveRooms(app: RoomkitApp, options: NodeServerOptions = {}): Promise<RoomServer> {
  const env = options.env ?? (process.env as Record<string, unknown>);
  logLevelFromEnv(env);
  const limits = resolveLimits({ ...app.limits, ...options.limits }, env);
  const registry = new RoomRegistry({
    rooms: app.rooms,
    env,
    limits,
    dataDir: options.dataDir ?? (typeof env.ROOMKIT_DATA_DIR === "string" ? env.ROOMKIT_DATA_DIR : ".data"),
    hibernateAfterMs: options.hibernateAfterMs ?? 10_000,
  });
  registry.restoreAlarms();

  let closing = false;
  const connect = (c: Context, target: ConnectTarget): Response | Promise<Response> => {
    if (closing) return c.text("Server shutting down.", 503);
    if (registry.connectionCount(target.type, target.name) >= limits.maxConnectionsPerRoom) {
      return c.text(`Room "${target.name}" is full (${limits.maxConnectionsPerRoom} connections).`, 503);
    }
    let prepared: ReturnType<RoomRegistry["prepare"]>;
    try {
      prepared = registry.prepare(target);
    } catch (error) {
      if (error instanceof RoomkitError) return c.text(error.message, 400);
      throw error;
    }
    const request = c.req.raw;
    const upgrade = upgradeWebSocket(() => ({
      // Runs once ws has completed the handshake. We dispatch from our own listeners on the raw
      // socket (no per-frame MessageEvent), and no frame can arrive before this runs.
      onOpen: (_event, context) => {
        const ws = context.raw as WebSocket;
        if (closing) {
          ws.terminate();
          return;
        }
        if (registry.connectionCount(target.type, target.name) >= limits.maxConnectionsPerRoom) {
          ws.close(CloseCode.TRY_AGAIN_LATER, "room is full");
          return;
        }
        const before = listenerSnapshot(ws);
        try {
          registry.accept(target, prepared, ws, request);
        } catch (error) {
          console.error(`[roomkit] room "${target.name}": could not accept a socket:`, error);
          ws.close(CloseCode.INTERNAL_ERROR, "could not accept the connection");
          return;
        }
        dropAdapterListeners(ws, before, listenerSnapshot(ws));
      },
    }));
    return upgrade(c, async () => {}) as Promise<Response>;
  };

  const router = createRouter(app, connect, () => env, () => limits);
  const wss = new WebSocketServer({
    noServer: true,
    WebSocket: withTooBigReason(limits.maxMessageBytes),
    perMessageDeflate: options.perMessageDeflate ?? false,
    // The registry tracks sockets per room; a second, server-wide set would only cost memory.
    clientTracking: false,
    // ws refuses (1009) a frame past this before buffering it whole.
    maxPayload: limits.maxMessageBytes,
  });
  const server: ServerType = createAdaptorServer({ fetch: withRefusalBodies(router.fetch), websocket: { server: wss } });
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 8787, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;

  return {
    url,
    registry,
    limits,
    hibernate: (name, type) => registry.hibernate(name, type),
    async close(code = CloseCode.GOING_AWAY, reason = "server shutting down") {
      // Stop accepting first: a client reconnecting during the shutdown would otherwise get a socket
      // after the registry closed them all, and the server would wait for it forever.
      closing = true;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      await registry.close(code, reason);
      await stopped;
    },
  };
}

type Fetch = (request: Request, env: any) => Response | Promise<Response>;

/**
 * @hono/node-server answers a refused upgrade with the status alone (Content-Length: 0). Refusals
 * must say why (400 bad name, 403 origin, 503 full, the auth hook's own body), so write the whole
 * response to the socket here; the adapter's own empty reply then finds the socket ended.
 */
function withRefusalBodies(fetch: Fetch): Fetch {
  return async (request, env) => {
    const response = await fetch(request, env);
    const socket: Duplex | undefined = env?.outgoing === undefined ? env?.incoming?.socket : undefined;
    if (!socket || response.status < 300 || socket.destroyed) return response;
    const body = Buffer.from(await response.arrayBuffer());
    const lines = [`HTTP/1.1 ${response.status} ${STATUS_CODES[response.status] ?? ""}`];
    response.headers.forEach((value, name) => {
      if (name !== "content-length" && name !== "connection") lines.push(`${name}: ${value}`);
    });
    lines.push(`Content-Length: ${body.length}`, "Connection: close", "", "");
    socket.end(Buffer.concat([Buffer.from(lines.join("\r\n")), body]));
    return response;
  };
}

const EVENTS = ["message", "close", "error"] as const;
type Listeners = Record<(typeof EVENTS)[number], Function[]>;

function listenerSnapshot(ws: WebSocket): Listeners {
  return { message: ws.listeners("message"), close: ws.listeners("close"), error: ws.listeners("error") };
}

/**
 * upgradeWebSocket attaches its own message/close/error listeners right after onOpen returns, to
 * call event handlers we do not use. They close over the whole Hono context (Request,
 * IncomingMessage, URLs) and would keep about 9 KB per idle socket alive for the socket's life.
 * Once they are attached, remove them: everything else (ws's own listeners, ours) stays.
 */
function dropAdapterListeners(ws: WebSocket, before: Listeners, ours: Listeners): void {
  queueMicrotask(() => {
    for (const event of EVENTS) {
      for (const listener of ws.listeners(event)) {
        if (!before[event].includes(listener) && !ours[event].includes(listener)) ws.off(event, listener as never);
      }
    }
  });
}

/**
 * ws closes an oversized frame with a bare 1009 (maxPayload stops it before it is buffered whole);
 * give that close the same reason the room host uses, so clients learn the limit on both runtimes.
 */
function withTooBigReason(maxBytes: number): typeof WebSocket {
  const reason = tooBigReason(maxBytes);
  return class extends WebSocket {
    override close(code?: number, data?: string | Buffer): void {
      super.close(code, code === CloseCode.MESSAGE_TOO_BIG && !data ? reason : data);
    }
  } as typeof WebSocket;
}
