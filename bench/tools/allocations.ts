// What the allocation tools share: a server in this process (raw ws baseline, roomkit's Node runtime
// with the bare room or the chat), and V8's sampling heap profiler over one step, counting objects
// already collected too, so that the bytes a step allocates are seen, not only those it keeps.
import { mkdtempSync, rmSync } from "node:fs";
import { Session } from "node:inspector";
import { tmpdir } from "node:os";
import { join } from "node:path";

export type ServerKind = "raw" | "bare" | "chat";

/** Starts a server of `kind`; `path(room)` is the WebSocket URL of a room of it. */
export async function startServer(kind: ServerKind): Promise<{ url: (room: string) => string; stop: () => Promise<void> }> {
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
        ws.on("close", () => members.delete(ws));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as import("node:net").AddressInfo).port;
    return { url: (room) => `ws://127.0.0.1:${port}/bare/${room}/ws`, stop: async () => void server.close() };
  }
  const { serveRooms } = await import("../../runtime-node/server.ts");
  const { benchApp } = await import("../targets/app.ts");
  const dataDir = mkdtempSync(join(tmpdir(), "roomkit-alloc-"));
  const server = await serveRooms(benchApp, {
    port: 0,
    dataDir,
    env: { ROOMKIT_RATE_LIMIT: "off", ROOMKIT_LOG: "error", ROOMKIT_MAX_CONNECTIONS_PER_ADDRESS: "off", ROOMKIT_MAX_NEW_ROOMS_PER_MINUTE: "off" },
  });
  const base = server.url.replace(/^http/, "ws");
  return {
    url: (room) => `${base}${kind === "chat" ? "/rooms" : "/bare"}/${room}/ws`,
    stop: async () => {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Bytes allocated while `step` runs, in all and by allocating function (sampled every 128 bytes).
 * `retained`: only what is still alive after `step` and two full collections (needs --expose-gc).
 */
export async function sampleAllocations(step: () => Promise<void>, retained = false): Promise<{ total: number; byFunction: Map<string, number> }> {
  const session = new Session();
  session.connect();
  const post = (method: string, params: object = {}) =>
    new Promise<any>((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));
  await post("HeapProfiler.enable");
  const keepCollected = !retained;
  await post("HeapProfiler.startSampling", { samplingInterval: 128, includeObjectsCollectedByMajorGC: keepCollected, includeObjectsCollectedByMinorGC: keepCollected });
  await step();
  if (retained) {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (!gc) throw new Error("the retained profile needs node --expose-gc");
    gc();
    gc();
  }
  const { profile } = await post("HeapProfiler.stopSampling");
  session.disconnect();
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
  return { total, byFunction };
}

export function printTop(title: string, per: number, unit: string, sampled: { total: number; byFunction: Map<string, number> }, top = 15): void {
  console.log(title);
  console.log(`allocated per ${unit} (sampled): ${(sampled.total / per).toFixed(0)} B`);
  for (const [key, bytes] of [...sampled.byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${(bytes / per).toFixed(0).padStart(7)} B  ${key}`);
  }
}
