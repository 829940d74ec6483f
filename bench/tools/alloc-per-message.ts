// What one message costs a server in allocations: runs a server in this process (raw ws baseline,
// roomkit's Node runtime with the bare room or the chat), sends `count` messages into a room of
// `clients` from a child process, and reports the bytes V8 allocated per message (sampling heap
// profiler, counting objects already collected) with the functions that allocated most.
// Usage: tsx bench/tools/alloc-per-message.ts raw|bare|chat [count=20000] [clients=16]
import { fork } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { Session } from "node:inspector";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const [kind = "bare", countArg, clientsArg] = process.argv.slice(2);
const count = Number(countArg ?? 20_000);
const clients = Number(clientsArg ?? 16);

if (process.env.ALLOC_CHILD) {
  // The client side: `clients` sockets, one of them sends `count` frames, all wait for the relay.
  const { default: WebSocket } = await import("ws");
  const url = process.env.ALLOC_CHILD;
  const sockets = await Promise.all(
    Array.from({ length: clients }, () => new Promise<InstanceType<typeof WebSocket>>((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false });
      ws.once("open", () => resolve(ws));
      ws.once("error", reject);
    })),
  );
  let received = 0;
  const expected = count * (clients - 1);
  const done = new Promise<void>((resolve) => {
    for (const ws of sockets.slice(1)) ws.on("message", () => ++received === expected && resolve());
  });
  process.send!("ready");
  await new Promise((resolve) => process.once("message", resolve));
  const sender = sockets[0]!;
  for (let i = 0; i < count; i++) {
    sender.send(`{"user":"u0","message":"0 ${i} 0 1764241234567.123 xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}`);
    if (i % 100 === 99) await new Promise((resolve) => setImmediate(resolve));
  }
  await done;
  process.send!("done");
  process.exit(0);
}

let url: string;
let stop: () => Promise<void> = async () => {};
if (kind === "raw") {
  const { createServer } = await import("node:http");
  const { WebSocketServer } = await import("ws");
  const rooms = new Map<string, Set<import("ws").WebSocket>>();
  const server = createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false });
  server.on("upgrade", (req, socket, head) => {
    const name = req.url ?? "/";
    wss.handleUpgrade(req, socket, head, (ws) => {
      let room = rooms.get(name);
      if (!room) rooms.set(name, (room = new Set()));
      const members = room;
      members.add(ws);
      ws.on("message", (data: Buffer, isBinary: boolean) => {
        for (const other of members) if (other !== ws && other.readyState === 1) other.send(data, { binary: isBinary });
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `ws://127.0.0.1:${(server.address() as import("node:net").AddressInfo).port}/bare/r0/ws`;
} else {
  const { serveRooms } = await import("../../runtime-node/server.ts");
  const { benchApp } = await import("../targets/app.ts");
  const dataDir = mkdtempSync(join(tmpdir(), "roomkit-alloc-"));
  const server = await serveRooms(benchApp, { port: 0, dataDir, env: { ROOMKIT_RATE_LIMIT: "off", ROOMKIT_LOG: "error" } });
  url = server.url.replace(/^http/, "ws") + (kind === "chat" ? "/rooms/r0/ws" : "/bare/r0/ws");
  stop = async () => {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
}

const child = fork(fileURLToPath(import.meta.url), [kind, String(count), String(clients)], {
  env: { ...process.env, ALLOC_CHILD: url },
  execArgv: ["--import", "tsx"],
});
await new Promise((resolve) => child.once("message", resolve));
const session = new Session();
session.connect();
const post = (method: string, params: object = {}) =>
  new Promise<any>((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));
await post("HeapProfiler.enable");
await post("HeapProfiler.startSampling", { samplingInterval: 128, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
child.send("go");
await new Promise((resolve) => child.once("message", resolve));
const { profile } = await post("HeapProfiler.stopSampling");
const byFunction = new Map<string, number>();
let total = 0;
const walk = (node: any) => {
  const url = String(node.callFrame.url).replace(/^file:\/\//, "").replace(/.*\/node_modules\//, "~/").replace(/.*\/(src|runtime-node|bench)\//, "$1/");
  const key = `${node.callFrame.functionName || "(anonymous)"} ${url}:${node.callFrame.lineNumber + 1}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + node.selfSize);
  total += node.selfSize;
  for (const child of node.children) walk(child);
};
walk(profile.head);
console.log(`${kind}: ${count} messages into a room of ${clients} (${clients - 1} deliveries each)`);
console.log(`allocated per message (sampled): ${(total / count).toFixed(0)} B`);
for (const [key, bytes] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
  console.log(`${(bytes / count).toFixed(0).padStart(7)} B  ${key}`);
}
await stop();
process.exit(0);
