// The self-hosted runtime: the shared Hono router on @hono/node-server, sockets through its built-in
// upgradeWebSocket over a `ws` server in noServer mode.
import type { AddressInfo } from "node:net";
import { createAdaptorServer, upgradeWebSocket, type ServerType } from "@hono/node-server";
import type { Context } from "hono";
import { WebSocketServer, type WebSocket } from "ws";
import type { ConnectTarget } from "../src/connect.ts";
import { resolveLimits, type Limits } from "../src/limits.ts";
import { CloseCode } from "../src/protocol.ts";
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
  readonly registry: RoomRegistry;
  readonly limits: Limits;
  /** Drop a room's instance now; its sockets stay open. Returns how many instances were dropped. */
  hibernate(name: string, type?: string): number;
  /** Close every socket with `code` (1001 by default), then the HTTP server. */
  close(code?: number, reason?: string): Promise<void>;
}

export async function serveRooms(app: RoomkitApp, options: NodeServerOptions = {}): Promise<RoomServer> {
  const env = options.env ?? (process.env as Record<string, unknown>);
  const limits = resolveLimits({ ...app.limits, ...options.limits }, env);
  const registry = new RoomRegistry({
    rooms: app.rooms,
    env,
    limits,
    dataDir: options.dataDir ?? (typeof env.ROOMKIT_DATA_DIR === "string" ? env.ROOMKIT_DATA_DIR : ".data"),
    hibernateAfterMs: options.hibernateAfterMs ?? 10_000,
  });
  registry.restoreAlarms();

  const connect = (c: Context, target: ConnectTarget): Response | Promise<Response> => {
    if (registry.connectionCount(target.type, target.name) >= limits.maxConnectionsPerRoom) {
      return c.text(`Room "${target.name}" is full (${limits.maxConnectionsPerRoom} connections).`, 503);
    }
    const request = c.req.raw;
    const upgrade = upgradeWebSocket(() => ({
      // Only onOpen: we attach our own listeners to the raw ws socket, skipping the per-message
      // MessageEvent that hono's wrapper would allocate. No frame can arrive before this runs.
      onOpen: (_event, ws) => {
        const raw = ws.raw as WebSocket;
        if (registry.connectionCount(target.type, target.name) >= limits.maxConnectionsPerRoom) {
          raw.close(CloseCode.TRY_AGAIN_LATER, "room is full");
          return;
        }
        try {
          registry.accept(target, raw, request);
        } catch (error) {
          console.error(`[roomkit] room "${target.name}": could not accept a socket:`, error);
          raw.close(CloseCode.INTERNAL_ERROR, "could not accept the connection");
        }
      },
    }));
    return upgrade(c, async () => {}) as Promise<Response>;
  };

  const router = createRouter(app, connect, () => env, () => limits);
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: options.perMessageDeflate ?? false,
    // ws refuses (1009) a frame past this before buffering it whole.
    maxPayload: limits.maxMessageBytes,
  });
  const server: ServerType = createAdaptorServer({ fetch: router.fetch, websocket: { server: wss } });
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
      await registry.close(code, reason);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
