// What one message costs in latency, with nothing else going on: for each target given, a room of
// two sockets, one message at a time (the next once the other socket has it), `count` times;
// prints p50/p90/p99 of the relay time. Servers are started as the bench starts them; stored-ws and
// stored-do are the raw baselines storing each frame before relaying it: what store-before-send
// costs by itself.
// Usage: [BENCH_CPU_PROF=dir] tsx bench/tools/message-latency.ts raw-ws,stored-ws,node-chat,raw-do,stored-do,cf-chat [count=2000] [rounds=1]
import WebSocket from "ws";
import { ServerProcess } from "../lib/processes.ts";
import { TARGETS } from "../lib/targets.ts";

const [which = "raw-ws,stored-ws,node-chat", countArg, roundsArg] = process.argv.slice(2);
const count = Number(countArg ?? 2000);
// Several rounds take the targets in turn, so that a change in the machine's other load shows.
const rounds = Number(roundsArg ?? 1);

const open = (url: string) =>
  new Promise<WebSocket>((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
  });

for (let round = 0; round < rounds; round++) for (const id of which.split(",")) {
  const target = TARGETS.find((t) => t.id === id);
  if (!target) throw new Error(`no target ${id}`);
  // BENCH_CPU_PROF=<dir>: a CPU profile of each Node server, as `npm run bench -- --cpu-prof` takes.
  const profile = process.env.BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}/${id}`] : [];
  const server = await ServerProcess.start({ ...target.server, nodeFlags: profile }, id);
  try {
    const url = server.url.replace(/^http/, "ws") + target.path(0);
    const [sender, receiver] = [await open(url), await open(url)];
    sender.on("message", () => {}); // the chat's ack
    const times: number[] = [];
    for (let i = 0; i < count + 100; i++) {
      const t0 = performance.now();
      const got = new Promise((resolve) => receiver.once("message", resolve));
      sender.send(JSON.stringify({ user: "u", message: `m ${i}` }));
      await got;
      if (i >= 100) times.push(performance.now() - t0); // the first 100 warm the path up
    }
    times.sort((a, b) => a - b);
    const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!.toFixed(3);
    console.log(`${id.padEnd(10)} p50 ${q(0.5)} ms  p90 ${q(0.9)} ms  p99 ${q(0.99)} ms  (${count} messages, one at a time)`);
    sender.close();
    receiver.close();
  } finally {
    await server.shutdown();
  }
}
process.exit(0);
