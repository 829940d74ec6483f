// A V8 CPU profile of the workerd isolate under connect/close churn: the raw Durable Object baseline
// or roomkit's Cloudflare runtime (bare room or chat), under Miniflare as the bench runs them, with
// its inspector on. 32 loops from this process open a socket to one of 8 rooms and close it once
// open; 3 s uncounted, then `ms` profiled. Writes bench/results/profiles/workerd-<kind>.cpuprofile
// (summarise it with cpuprofile-top.ts) and prints the cycles and the isolate's busy time per cycle.
// Usage: tsx bench/tools/workerd-cpuprofile.ts raw|bare|chat [ms=6000]
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import WebSocket from "ws";
import { churn } from "./churn-loop.ts";
import { wranglerCompatibility } from "../../test/runtimes/workerd-bundle.ts";
import { roomkitWorkerOptions } from "../targets/cloudflare.ts";

const [kind = "bare", msArg] = process.argv.slice(2);
const ms = Number(msArg ?? 6000);
const INSPECTOR_PORT = 9333;

function rawOptions() {
  const path = fileURLToPath(new URL("../baselines/raw-do.js", import.meta.url));
  return {
    modules: [{ type: "ESModule" as const, path, contents: readFileSync(path, "utf8") }],
    ...wranglerCompatibility(),
    durableObjects: { RAW_ROOM: { className: "RawRoom", useSQLite: true } },
    bindings: { STORE: "0" },
  };
}

const mf = new Miniflare({ ...(kind === "raw" ? rawOptions() : await roomkitWorkerOptions()), host: "127.0.0.1", port: 0, inspectorPort: INSPECTOR_PORT });
const url = await mf.ready;
// The user worker's isolate (the Durable Objects run in it too), not Miniflare's own.
const targets = (await (await fetch(`http://127.0.0.1:${INSPECTOR_PORT}/json`)).json()) as Array<{ id: string; webSocketDebuggerUrl: string }>;
const target = targets.find((t) => t.id.startsWith("core:user"));
if (!target) throw new Error(`no user worker among the inspector's targets: ${targets.map((t) => t.id).join(", ")}`);
const inspector = new WebSocket(target.webSocketDebuggerUrl);
await new Promise((resolve) => inspector.once("open", resolve));
let lastId = 0;
const pending = new Map<number, (result: any) => void>();
inspector.on("message", (data) => {
  const message = JSON.parse(String(data));
  pending.get(message.id)?.(message.result);
  pending.delete(message.id);
});
const post = (method: string, params: object = {}) =>
  new Promise<any>((resolve) => {
    const id = ++lastId;
    pending.set(id, resolve);
    inspector.send(JSON.stringify({ id, method, params }));
  });

const base = `${url.origin.replace(/^http/, "ws")}/${kind === "chat" ? "rooms" : "bare"}`;
const urls = Array.from({ length: 8 }, (_, r) => `${base}/r${r}/ws`);
await churn(urls, 32, 3000);
await post("Profiler.enable");
await post("Profiler.setSamplingInterval", { interval: 200 });
await post("Profiler.start");
const cycles = await churn(urls, 32, ms);
const { profile } = await post("Profiler.stop");
const dir = fileURLToPath(new URL("../results/profiles/", import.meta.url));
mkdirSync(dir, { recursive: true });
const file = `${dir}workerd-${kind}.cpuprofile`;
writeFileSync(file, JSON.stringify(profile));
const idleNode = new Set((profile.nodes as Array<{ id: number; callFrame: { functionName: string } }>).filter((n) => n.callFrame.functionName === "(idle)").map((n) => n.id));
const busyUs = (profile.samples as number[]).reduce((sum, id, i) => sum + (idleNode.has(id) ? 0 : profile.timeDeltas[i]!), 0);
console.log(`${kind}: ${cycles} connect+close cycles in ${ms} ms; isolate busy ${(busyUs / 1000).toFixed(0)} ms, ${(busyUs / cycles).toFixed(0)} µs per cycle; ${file}`);
inspector.close();
await mf.dispose();
