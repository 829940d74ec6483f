// The one-line way: the rooms of nodeRooms() on an HTTP server of their own.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Limits } from "../src/limits.ts";
import type { RoomkitApp } from "../src/router.ts";
import { nodeRooms, type NodeRoomsOptions } from "./node-rooms.ts";
import { getRequestListener } from "./peers.ts";
import type { RoomInfo } from "./room-info.ts";
import type { RoomRegistry } from "./rooms.ts";

export interface NodeServerOptions extends NodeRoomsOptions {
  /** Default 8787. `0` picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /**
   * Connections the kernel queues before the server accepts them. Default 4096 (Node's is 511): after
   * a restart every client reconnects at once, and a full queue drops handshakes, which the clients
   * only retry a second or more later. The kernel caps it (`net.core.somaxconn` on Linux).
   */
  backlog?: number;
}

export interface RoomServer {
  readonly url: string;
  /** @internal The rooms of this server, for roomkit's own tests. */
  readonly registry: RoomRegistry;
  readonly limits: Limits;
  /**
   * Drop the instance of room `type`/`name` now (every awake room of `type` without a name); its
   * sockets stay open. Returns how many instances were dropped: 0 when already hibernated.
   */
  hibernate(type: string, name?: string): number;
  /** The live rooms now: type, name, open sockets, awake or hibernated, last event time. A snapshot. */
  rooms(): RoomInfo[];
  /** Close every socket with `code` (1001 by default), then the HTTP server. */
  close(code?: number, reason?: string): Promise<void>;
}

const DEFAULT_BACKLOG = 4096;

export async function serveRooms(app: RoomkitApp, options: NodeServerOptions = {}): Promise<RoomServer> {
  const { port, host = "127.0.0.1", backlog = DEFAULT_BACKLOG, ...roomOptions } = options;
  const rooms = nodeRooms(app, roomOptions);
  const timeout = rooms.limits.handshakeTimeoutMs;
  const server = createServer(
    {
      // Slow headers (an upgrade never completed) are cut after the handshake timeout, not Node's 60 s;
      // Node checks for them every connectionsCheckingInterval, so that is a fraction of it.
      headersTimeout: timeout,
      requestTimeout: Math.max(timeout, 300_000),
      connectionsCheckingInterval: Math.max(50, Math.min(1000, timeout / 4)),
    },
    getRequestListener(rooms.routes.fetch),
  );
  rooms.attach(server);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port ?? 8787, host, backlog, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${address.port}`,
    registry: rooms.registry,
    limits: rooms.limits,
    hibernate: rooms.hibernate,
    rooms: rooms.rooms,
    async close(code, reason) {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      await rooms.close(code, reason);
      await stopped;
    },
  };
}
