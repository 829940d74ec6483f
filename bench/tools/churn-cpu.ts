// What one connect+close cycle costs a server in CPU time: a server in this process (raw ws baseline,
// roomkit's Node runtime with the bare room or the chat; see allocations.ts), and a child process
// churning `loops` sockets over 8 rooms from 16 loopback addresses (open, close once open, repeat):
// one uncounted second to warm up, then `ms` measured. Reports the cycles and this process's CPU
// time (user + system) per cycle. Rates depend on the client too; the CPU per cycle does not.
// Usage: tsx bench/tools/churn-cpu.ts raw|bare|chat [ms=4000] [loops=32]
//
// Several kinds (`raw,bare`) with CHURN_ROUNDS=n: each kind n times, in turns (raw bare, bare raw,
// raw bare …), each in a fresh process, then the median per kind. One run of a few seconds moves
// by 10–20 % on a shared machine; turns spread that drift over every kind alike.
import { execFileSync, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { median } from "../lib/report.ts";
import { startServer, type ServerKind } from "./allocations.ts";

const [kind = "bare", msArg, loopsArg] = process.argv.slice(2);
const ms = Number(msArg ?? 4000);
const loops = Number(loopsArg ?? 32);

if (kind.includes(",")) {
  const kinds = kind.split(",");
  const rounds = Number(process.env.CHURN_ROUNDS ?? 4);
  const perCycle = new Map<string, number[]>(kinds.map((k) => [k, []]));
  for (let round = 0; round < rounds; round++) {
    for (const k of round % 2 ? [...kinds].reverse() : kinds) {
      const line = execFileSync(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), k, String(ms), String(loops)], { encoding: "utf8" }).trim();
      console.log(line);
      perCycle.get(k)!.push(Number(/(\d+) µs per cycle/.exec(line)![1]));
    }
  }
  const first = median(perCycle.get(kinds[0]!)!);
  for (const [k, xs] of perCycle) console.log(`${k}: median ${median(xs)} µs per cycle (${xs.join(", ")}), ${(median(xs) / first).toFixed(2)}× ${kinds[0]}`);
  process.exit(0);
}

if (process.env.CHURN_CHILD) {
  // Loaded in the child only: the server's process keeps only what its server loads.
  const { churn: churnLoops } = await import("./churn-loop.ts");
  const urls: string[] = JSON.parse(process.env.CHURN_CHILD);
  const churn = (durationMs: number) => churnLoops(urls, loops, durationMs, (i) => `127.0.0.${2 + (i % 16)}`);
  await churn(1000);
  process.send!("warm");
  await new Promise((resolve) => process.once("message", resolve));
  process.send!({ cycles: await churn(ms) });
  await new Promise((resolve) => process.once("message", resolve));
  process.exit(0);
}

const server = await startServer(kind as ServerKind);
const urls = Array.from({ length: 8 }, (_, i) => server.url(`r${i}`));
const child = fork(fileURLToPath(import.meta.url), process.argv.slice(2), {
  env: { ...process.env, CHURN_CHILD: JSON.stringify(urls) },
  execArgv: ["--import", "tsx"],
});
await new Promise((resolve) => child.once("message", resolve));
const before = process.cpuUsage();
child.send("go");
const { cycles } = await new Promise<{ cycles: number }>((resolve) => child.once("message", resolve as never));
const used = process.cpuUsage(before);
const cpuUs = used.user + used.system;
console.log(`${kind}: ${cycles} connect+close cycles in ${ms} ms (${Math.round(cycles / (ms / 1000))}/s); server CPU ${(cpuUs / 1000).toFixed(0)} ms, ${(cpuUs / cycles).toFixed(0)} µs per cycle`);
child.send("exit");
await server.stop();
process.exit(0);
