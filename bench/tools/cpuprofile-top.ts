// Summarises .cpuprofile files (from `npm run bench -- --cpu-prof`): self time per function and
// per file, the heaviest first. Usage: tsx bench/tools/cpuprofile-top.ts <file.cpuprofile> [rows]
import { readFileSync } from "node:fs";

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const [file, rowsArg] = process.argv.slice(2);
if (!file) {
  console.error("usage: tsx bench/tools/cpuprofile-top.ts <file.cpuprofile> [rows]");
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i]!;
  self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
}
const total = [...self.values()].reduce((a, b) => a + b, 0);
const short = (url: string) => url.replace(/^file:\/\//, "").replace(/.*\/node_modules\//, "~/").replace(/.*\/(src|runtime-node|runtime-cloudflare|bench)\//, "$1/");
const fnKey = (n: Node) => `${n.callFrame.functionName || "(anonymous)"} ${short(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
const fileKey = (n: Node) => (n.callFrame.url ? short(n.callFrame.url).replace(/:\d+$/, "") : n.callFrame.functionName);
const sum = (key: (n: Node) => string) => {
  const out = new Map<string, number>();
  for (const [id, us] of self) {
    const k = key(byId.get(id)!);
    out.set(k, (out.get(k) ?? 0) + us);
  }
  return [...out.entries()].sort((a, b) => b[1] - a[1]);
};
const rows = Number(rowsArg ?? 30);
const pct = (us: number) => `${((us / total) * 100).toFixed(1).padStart(5)} %`;
console.log(`${file}: ${(total / 1000).toFixed(0)} ms sampled`);
console.log("\nself time by function:");
for (const [k, us] of sum(fnKey).slice(0, rows)) console.log(`${pct(us)}  ${k}`);
console.log("\nself time by file:");
for (const [k, us] of sum(fileKey).slice(0, 15)) console.log(`${pct(us)}  ${k}`);
