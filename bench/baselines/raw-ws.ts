// Baseline: a minimal raw-`ws` broadcast server — the Node limit roomkit's Node runtime is measured
// against. Rooms by URL path, a frame relayed to every other socket of its room. Nothing else: no
// routing framework, no validation, no storage, no per-connection state beyond the room set.
//
// BENCH_STORE=1 (the stored-ws reference target): each frame is first inserted into its room's
// SQLite file (better-sqlite3, WAL, synchronous NORMAL, as roomkit's Node runtime stores), the floor
// of any store-before-send room on Node.
import { mkdtempSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { WebSocketServer, type WebSocket } from "ws";
import { serveBenchControl } from "../lib/server-control.ts";

const storeDir = process.env.BENCH_STORE === "1" ? mkdtempSync(join(tmpdir(), "bench-stored-ws-")) : null;
function roomStore(name: string): ((data: Buffer) => void) | null {
  if (!storeDir) return null;
  const db = new Database(join(storeDir, `${name}.sqlite`));
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.exec("CREATE TABLE IF NOT EXISTS m (seq INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT)");
  const insert = db.prepare("INSERT INTO m (body) VALUES (?)");
  return (data) => void insert.run(data.toString());
}
const stores = new Map<string, ((data: Buffer) => void) | null>();

const rooms = new Map<string, Set<WebSocket>>();
const server = createServer((_req, res) => res.writeHead(404).end());
// No server-wide client set: the room sets already track every socket.
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false });

server.on("upgrade", (req, socket, head) => {
  const match = /^\/(?:rooms|bare)\/([^/?]+)\/ws/.exec(req.url ?? "");
  if (!match) return socket.destroy();
  const name = match[1]!;
  wss.handleUpgrade(req, socket, head, (ws) => {
    let room = rooms.get(name);
    if (!room) rooms.set(name, (room = new Set()));
    room.add(ws);
    if (!stores.has(name)) stores.set(name, roomStore(name));
    const store = stores.get(name);
    ws.on("message", (data: Buffer, isBinary: boolean) => {
      store?.(data);
      for (const other of room) if (other !== ws && other.readyState === 1) other.send(data, { binary: isBinary });
    });
    ws.on("close", () => {
      room.delete(ws);
      if (room.size === 0) rooms.delete(name);
    });
    ws.on("error", () => {});
  });
});

/**
 * SIGTERM (W6's restart, as a deploy stops a server): stop accepting, close every socket with 1001
 * and exit once they are closed — what roomkit's server.close() does, with the same 2 s cut for a
 * client that never answers the close handshake, so that both restarts end the same way.
 */
process.once("SIGTERM", () => {
  server.close();
  const closing: Promise<void>[] = [];
  for (const room of rooms.values()) {
    for (const ws of room) {
      closing.push(new Promise((resolve) => ws.once("close", () => resolve())));
      ws.close(1001, "server shutting down");
      setTimeout(() => ws.terminate(), 2000).unref();
    }
  }
  void Promise.all(closing).finally(() => process.exit(0));
});

// BENCH_PORT: W6 starts the baseline again on the port it had (0: a free one).
// The listen backlog serveRooms ships (Node's default is 511): the platform's limit, so that a
// reconnect storm (W6) measures roomkit's cost, not a queue size.
server.listen(Number(process.env.BENCH_PORT ?? 0), process.env.BENCH_HOST ?? "127.0.0.1", 4096, () => {
  const { port } = server.address() as AddressInfo;
  serveBenchControl(`http://127.0.0.1:${port}`, process.pid);
});
