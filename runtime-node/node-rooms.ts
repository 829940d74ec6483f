// The rooms of an app as parts a Node server is built from: Hono routes to mount in an existing
// app, the ws server @hono/node-server's serve() takes as `websocket`, `attach` for any node:http
// server, and `close`. serveRooms is these parts on a server of its own.
import type { IncomingMessage, Server as HttpServer } from "node:http";
import type { WebSocketServerLike } from "@hono/node-server";
import type { Context, Hono } from "hono";
import { resolveLimits, type Limits } from "../src/limits.ts";
import { logLevelFromEnv } from "../src/log.ts";
import { CloseCode } from "../src/protocol.ts";
import { RoomRoutes, type RouteRuntime } from "../src/room-routes.ts";
import { createRouter, type RoomkitApp } from "../src/router.ts";
import { Admission } from "./admission.ts";
import { attachUpgrades } from "./attach.ts";
import { WebSocketServer } from "./peers.ts";
import { writeRefusal } from "./refusals.ts";
import { roomConnector, type ConnectorState, type UpgradeCall } from "./room-connector.ts";
import type { RoomInfo } from "./room-info.ts";
import { RoomRegistry } from "./rooms.ts";
import { withTooBigReason } from "./socket-adapters.ts";
import { IncomingRouteRequest } from "./upgrade-request.ts";

/** What `attach` needs of a node:http / node:https server. */
export type UpgradeServer = Pick<HttpServer, "on" | "off" | "listenerCount">;

export interface NodeRoomsOptions {
  /** What rooms see as `host.env`, and where `ROOMKIT_*` limits are read. Default `process.env`. */
  env?: Record<string, unknown>;
  /** Overrides the app's limits and the environment. */
  limits?: Partial<Limits>;
  /** Per-room SQLite files live here; ":memory:" keeps nothing. Default `ROOMKIT_DATA_DIR` or `.data`. */
  dataDir?: string;
  /** Idle time before a room instance is dropped, as a Durable Object is evicted. Default 10 000 ms. */
  hibernateAfterMs?: number;
  /**
   * Behind a reverse proxy: the request header carrying the client's address, for the per-address
   * limits (`x-forwarded-for`: its last entry, the one the proxy appended; `x-real-ip`,
   * `cf-connecting-ip` …: the whole value). Default `ROOMKIT_CLIENT_ADDRESS_HEADER`, else none: the
   * socket's remote address. Set it only when nothing but the proxy can reach the server, or clients
   * pick their own address.
   */
  clientAddressHeader?: string;
  /** Let ws compress frames (off by default: it costs CPU and ~300 KB of memory per socket). */
  perMessageDeflate?: boolean;
}

export interface NodeRooms {
  /** The rooms' routes: `hono.route(base, rooms.routes)`; paths are relative to the mount point. */
  readonly routes: Hono;
  /** For @hono/node-server v2: `serve({ fetch: hono.fetch, websocket: rooms.websocket })`. */
  // Typed as @hono/node-server's own interface, so that a user's project type-checks without @types/ws.
  readonly websocket: { server: WebSocketServerLike };
  /** Take the upgrades for the rooms' paths (as the app defines them) on any node:http/https server. */
  attach(server: UpgradeServer): void;
  /** Close every socket with `code` (1001 by default) and every room database. */
  close(code?: number, reason?: string): Promise<void>;
  readonly limits: Limits;
  /**
   * Drop the instance of room `type`/`name` now (every awake room of `type` without a name); its
   * sockets stay open. Returns how many instances were dropped: 0 when already hibernated.
   */
  hibernate(type: string, name?: string): number;
  /** The live rooms now: type, name, open sockets, awake or hibernated, last event time. A snapshot. */
  rooms(): RoomInfo[];
  /** @internal The rooms, for roomkit's own tests. */
  readonly registry: RoomRegistry;
}

export function nodeRooms(app: RoomkitApp, options: NodeRoomsOptions = {}): NodeRooms {
  const env = options.env ?? (process.env as Record<string, unknown>);
  logLevelFromEnv(env);
  const limits = resolveLimits({ ...app.limits, ...options.limits }, env);
  const admission = new Admission(limits);
  const registry = new RoomRegistry({
    rooms: app.rooms,
    env,
    limits,
    dataDir: options.dataDir ?? (typeof env.ROOMKIT_DATA_DIR === "string" ? env.ROOMKIT_DATA_DIR : ".data"),
    hibernateAfterMs: options.hibernateAfterMs ?? 10_000,
    onSocketClosed: (socket) => admission.release(socket.address),
  });
  registry.restoreAlarms();
  const wss = new WebSocketServer({
    noServer: true,
    WebSocket: withTooBigReason(limits.maxMessageBytes),
    perMessageDeflate: options.perMessageDeflate ?? false,
    // The registry tracks sockets per room; a second, server-wide set would only cost memory.
    clientTracking: false,
    // ws refuses (1009) a frame past this before buffering it whole.
    maxPayload: limits.maxMessageBytes,
  });
  const state: ConnectorState = { closing: false };
  const headerFromEnv = typeof env.ROOMKIT_CLIENT_ADDRESS_HEADER === "string" && env.ROOMKIT_CLIENT_ADDRESS_HEADER.trim() !== "" ? env.ROOMKIT_CLIENT_ADDRESS_HEADER.trim() : undefined;
  const runtime: RouteRuntime<UpgradeCall> = {
    env: () => env,
    limits: () => limits,
    answer: writeRefusal,
    connect: roomConnector(registry, limits, wss, state, { admission, clientAddressHeader: options.clientAddressHeader ?? headerFromEnv }),
  };
  // One set of routes for both ways in: the Hono routes below, and the upgrades `attach` takes itself.
  const roomRoutes = new RoomRoutes(app, runtime);
  const routes = createRouter(roomRoutes, honoCall, (c) => {
    const incoming = (c.env as AdapterEnv | undefined)?.incoming;
    // Headers as Node parsed them, when Node delivered the request: no Headers object built for them.
    return incoming ? new IncomingRouteRequest(incoming, c.req.raw) : c.req;
  });
  const detach: Array<() => void> = [];
  return {
    routes,
    websocket: { server: wss },
    limits,
    registry,
    attach: (server) => void detach.push(attachUpgrades(server, roomRoutes)),
    hibernate: (type, name) => registry.hibernate(type, name),
    rooms: () => registry.rooms(),
    async close(code = CloseCode.GOING_AWAY, reason = "server shutting down") {
      // Stop accepting first: a client reconnecting during the shutdown would otherwise get a socket
      // after the registry closed them all, and close would wait for it forever.
      state.closing = true;
      for (const remove of detach.splice(0)) remove();
      await registry.close(code, reason);
    },
  };
}

/** What @hono/node-server's serve() puts in the Hono env of a request: `outgoing` is undefined for an upgrade. */
interface AdapterEnv {
  incoming?: IncomingMessage;
  outgoing?: unknown;
  wss?: WebSocketServer;
}

function honoCall(c: Context): UpgradeCall {
  const env = c.env as AdapterEnv | undefined;
  return { context: c, incoming: env?.incoming, outgoing: env?.outgoing, wss: env?.wss };
}
