// `npm run bench`: roomkit against raw baselines, in one invocation, on this machine.
//
//   npm run bench                      every workload, every target, 3 repetitions (≈ 28 min)
//   npm run bench -- --quick           1 repetition, shorter runs, W3 up to 2,000 only (a few minutes)
//   npm run bench -- --only W1,W3-2000 --targets raw-ws,node-bare --reps 5
//   npm run bench -- --only W2 --targets node-chat --cpu-prof   (profiles in bench/results/profiles/)
//   npm run bench -- --nice=-5        on a shared machine: run ahead of other jobs (needs root)
//   npm run bench -- --tuned          also W3 under tuned V8 flags and a forced GC (W3t, labelled)
//   npm run bench -- --only W6 --targets raw-ws,node-chat --reps 1   the reconnect storm (Node targets only)
//
// Every server is started as users start it: Node's default flags, the shipped hibernation time, no
// forced collection. Only W3t departs from that, and says so in its label.
//
// Full runs (every workload and target, at least 3 repetitions) write bench/results/latest.json,
// bench/results/latest.svg and the results section of docs/BENCHMARKS.md; partial runs write
// bench/results/partial.json and partial.svg only (--docs: the docs section as well).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { setPriority, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ClientProcess, ServerProcess } from "./lib/processes.ts";
import { LoadWatch, machineInfo } from "./lib/proc.ts";
import { now } from "./lib/protocol.ts";
import { publish } from "./lib/publish.ts";
import { barsMarkdown, summarize, textTable, type NotRun, type RecordedRow } from "./lib/report.ts";
import { TARGETS, type Target } from "./lib/targets.ts";
import { w1, w2 } from "./lib/interleaved.ts";
import { w5 } from "./lib/churn.ts";
import { w3, w3Tuned, w4, type BenchConfig, type Row, type RunContext } from "./lib/workloads.ts";
import { stormServerEnv, w6 } from "./lib/reconnect-storm.ts";

const { values: flags } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    targets: { type: "string" },
    reps: { type: "string" },
    "cpu-prof": { type: "boolean", default: false },
    nice: { type: "string" },
    docs: { type: "boolean", default: false },
    tuned: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});

if (flags.help) {
  console.log(readFileSync(fileURLToPath(import.meta.url), "utf8").split("\n").filter((l) => l.startsWith("//")).join("\n"));
  process.exit(0);
}

const quick = flags.quick!;
/** `--nice=-5`: run the bench, its clients and servers at this scheduling priority (where allowed). */
const niceness = flags.nice === undefined ? null : Number(flags.nice);

function prioritize(...pids: number[]): void {
  if (niceness === null) return;
  for (const pid of pids) {
    try {
      setPriority(pid, niceness);
    } catch (error) {
      console.warn(`--nice ${niceness}: ${(error as Error).message}`);
    }
  }
}
const config: BenchConfig = {
  // W1, W2: each server measured for turns × turnMs (W1 6 s per phase, W2 8 s; quick: 2 s) in
  // turns with the others. W2's closed loop varies more from turn to turn: more turns.
  w1: { clients: 100, rate: 100, turns: quick ? 4 : 12, turnMs: 500, window: 100 },
  w2: { clients: 16, batch: 10, turns: quick ? 4 : 16, turnMs: 500 },
  // As shipped: read 3 s after opening, and 15 s after (the shipped hibernation time is 10 s).
  w3: { sizes: quick ? [2000] : [2000, 10_000], roomSize: 100, earlyReadMs: 3000, readAfterMs: 15_000, settleMs: 500, hibernateAfterMs: 2000 },
  w4: { rooms: 1000, perRoom: 4, durationMs: quick ? 2000 : 2500 },
  // W5: 3 s of churn per server uncounted, then 8 turns of 0.5 s each (quick: 1 s, 4 turns).
  w5: { loops: 32, rooms: 8, warmupMs: quick ? 1000 : 3000, turns: quick ? 4 : 8, turnMs: 500 },
  w6: { rooms: 100, perRoom: 100, messages: 3, concurrency: 64, timeoutMs: 90_000 },
  locals: [],
};
const reps = Number(flags.reps ?? (quick ? 1 : 3));

interface Unit {
  id: string;
  /** Runs against one server per target given, all up at once; returns each one's rows. */
  run: (ctxs: RunContext[]) => Promise<Row[][]>;
  /** The platform's servers take turns (W1, W2, W5); otherwise one server at a time. */
  inTurns?: boolean;
  /** Only targets of these platforms run it (W6: Node; under Miniflare no restart stands for a deploy). */
  platforms?: ReadonlyArray<Target["platform"]>;
  /** Environment added to each server it starts. */
  serverEnv?: (target: Target) => Record<string, string>;
}
const alone = (workload: (ctx: RunContext) => Promise<Row[]>) => async ([ctx]: RunContext[]) => [await workload(ctx!)];
const UNITS: Unit[] = [
  { id: "W1", run: w1, inTurns: true },
  { id: "W2", run: w2, inTurns: true },
  { id: "W3", run: alone(w3) },
  { id: "W3t", run: alone(w3Tuned) },
  { id: "W4", run: alone(w4) },
  { id: "W5", run: w5, inTurns: true },
  { id: "W6", run: alone(w6), platforms: ["node"], serverEnv: stormServerEnv },
];
const PLATFORMS = ["node", "workerd"] as const;

const only = flags.only?.split(",").map((s) => s.trim().toUpperCase());
// --only takes units (W1 … W6); W3-2000 alone runs W3 up to 2,000 connections only.
if (only?.some((o) => o === "W3-2000" || o === "W3T-2000") && !only.some((o) => /^W3T?(-10000)?$/.test(o))) config.w3.sizes = [2000];
const units = only
  ? UNITS.filter((u) => only.some((o) => o === u.id.toUpperCase() || o.startsWith(`${u.id.toUpperCase()}-`)))
  : UNITS.filter((u) => u.id !== "W3t" || flags.tuned);
const wanted = flags.targets?.split(",").map((s) => s.trim());
const selected = TARGETS.filter((t) => !wanted || wanted.includes(t.id));
// More repetitions than the default still make a full run; fewer, or a subset, do not.
const partial = Boolean(only || wanted || quick || (flags.reps !== undefined && Number(flags.reps) < 3));

const notRun: NotRun[] = [];
const targets: Target[] = [];
for (const target of selected) {
  const why = target.unavailable();
  if (why) notRun.push({ target: target.id, label: target.label, reason: why });
  else targets.push(target);
}

function fdLimit(): string {
  try {
    return execFileSync("sh", ["-c", "ulimit -n"], { encoding: "utf8" }).trim();
  } catch {
    return "?";
  }
}

async function canBind(address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(0, address, () => server.close(() => resolve(true)));
  });
}

async function main(): Promise<number> {
  const machine = machineInfo(totalmem(), fdLimit());
  // Spread client sockets over several loopback source addresses: each has its own ephemeral ports.
  for (let i = 2; i < 18; i++) if (await canBind(`127.0.0.${i}`)) config.locals.push(`127.0.0.${i}`);
  const biggest = Math.max(...config.w3.sizes, config.w4.rooms * config.w4.perRoom, config.w6.rooms * config.w6.perRoom);
  const limit = Number(machine.fdLimit);
  if (Number.isFinite(limit) && limit < biggest + 1000) {
    console.warn(`warning: ulimit -n is ${limit}; W3/W4/W6 need about ${biggest + 1000} descriptors in the server process`);
  }
  console.log(`roomkit bench: ${machine.cores} cores (${machine.cpuModel}), ${machine.totalMemoryGiB} GiB, Node ${machine.node}, ulimit -n ${machine.fdLimit}, ports ${machine.ephemeralPorts}, ${config.locals.length} source addresses`);
  console.log(`units: ${units.map((u) => u.id).join(" ")} · targets: ${targets.map((t) => t.id).join(" ")} · ${reps} repetition(s)`);
  for (const n of notRun) console.log(`${n.target}: ${n.reason}`);

  const started = new Date();
  const overall = new LoadWatch([process.pid]);
  const clients = await Promise.all([0, 1, 2, 3].map((i) => ClientProcess.start(i)));
  prioritize(process.pid, ...clients.map((c) => c.pid));
  const clockSkew = await measureClocks(clients);
  console.log(`client clocks vs this process: max |offset| ${clockSkew.toFixed(3)} ms`);

  const rows: RecordedRow[] = [];
  const failures: string[] = [];
  for (const unit of units) {
    // W1, W2: the baseline and the targets of one platform are up together and take turns
    // (bench/lib/interleaved.ts); the other workloads run one server at a time.
    const mine = targets.filter((t) => (!unit.platforms || unit.platforms.includes(t.platform)) && (!t.units || t.units.includes(unit.id)));
    const skipped = targets.filter((t) => !mine.includes(t) && !t.units);
    if (skipped.length) console.log(`${unit.id}: ${unit.platforms!.join(", ")} targets only; not run on ${skipped.map((t) => t.id).join(", ")}`);
    const batches = unit.inTurns ? PLATFORMS.map((p) => mine.filter((t) => t.platform === p)).filter((b) => b.length) : mine.map((t) => [t]);
    for (let rep = 1; rep <= reps; rep++) {
      for (const batch of batches) {
        const labels = batch.map((t) => `${unit.id} rep ${rep} ${t.id}`);
        const t0 = now();
        const servers: ServerProcess[] = [];
        try {
          for (const target of batch) servers.push(await startServer(unit, target, rep));
          const ctxs = batch.map((target, i): RunContext => ({
            target,
            server: servers[i]!,
            clients,
            config,
            // W6 starts the same server again after stopping it; stopped with the others below.
            restart: async (env) => {
              const again = await restartServer(servers[i]!, target, env);
              servers.push(again);
              return again;
            },
          }));
          const produced = await unit.run(ctxs);
          for (const [i, target] of batch.entries()) {
            for (const row of produced[i]!) {
              rows.push({ ...row, target: target.id, rep });
              console.log(`${labels[i]!.padEnd(28)} ${describe(row)}  [${((now() - t0) / 1000).toFixed(1)} s]`);
            }
          }
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          failures.push(`${labels.join(", ")}: ${message}`);
          console.error(`${labels.join(", ")}: FAILED: ${message}`);
          // Sockets of a failed unit must not leak into the next one.
          await Promise.all(clients.map((c) => c.request({ op: "close", abrupt: true }, "closed", 60_000).catch(() => undefined)));
        } finally {
          await Promise.all(servers.map((server) => server.shutdown()));
        }
      }
    }
  }
  const finished = new Date();
  const overallLoad = overall.finish();
  await Promise.all(clients.map((c) => c.stop(null)));

  const summary = summarize(rows, TARGETS);
  console.log(`\n${textTable(summary, notRun)}`);
  console.log(`\n${barsMarkdown(summary, TARGETS, notRun)}`);
  if (failures.length) console.log(`\nFailures:\n${failures.join("\n")}`);

  const results = {
    generatedBy: "npm run bench",
    started: started.toISOString(),
    finished: finished.toISOString(),
    partial,
    argv: process.argv.slice(2),
    machine,
    machineLoad: {
      loadavg1: overallLoad.loadavg1,
      machineCpuPercent: overallLoad.machineCpuPercent,
      note: "per-row load (loadavg, CPU of other processes) is in rows[].load",
    },
    clockSkewMs: clockSkew,
    niceness,
    config,
    reps,
    targets: TARGETS.map(({ id, label, platform, baseline, bars }) => ({ id, label, platform, baseline, bars })),
    notRun,
    failures,
    summary,
    rows,
  };
  publish(results, { docs: !partial || flags.docs! });
  return failures.length ? 1 : 0;
}

async function startServer(unit: Unit, target: Target, rep: number): Promise<ServerProcess> {
  const nodeFlags: string[] = flags["cpu-prof"] && target.platform === "node" && target.id !== "raw-ws"
    ? ["--cpu-prof", `--cpu-prof-dir=${fileURLToPath(new URL(`./results/profiles/${target.id}-${unit.id}-${rep}/`, import.meta.url))}`]
    : [];
  const tuned = unit.id === "W3t";
  // W3t only: V8's young generation at its default maximum size from the start (16 MB
  // semi-spaces), instead of growing on its own schedule in the middle of the readings; no memory
  // reducer, which after a few idle seconds hands ~9 MB of pooled pages back to the system in
  // the middle of one reading; gc() exposed for the forced collection before each reading.
  if (tuned && target.platform === "node") nodeFlags.push("--expose-gc", "--min-semi-space-size=16", "--max-semi-space-size=16", "--no-memory-reducer");
  // W3t: idle rooms hibernate after 2 s instead of the shipped 10 s, so that waiting for it
  // after each batch of connections adds seconds to the run, not minutes.
  const env: Record<string, string> = tuned && target.hibernatesRooms ? { BENCH_HIBERNATE_AFTER_MS: String(config.w3.hibernateAfterMs) } : {};
  // W3t on workerd: the same V8 settings as the Node servers (its GC comes from a request).
  if (tuned && target.platform === "workerd") env.BENCH_WORKERD_V8_FLAGS = "--expose-gc --min-semi-space-size=16 --max-semi-space-size=16 --no-memory-reducer";
  const server = await ServerProcess.start({ ...target.server, nodeFlags, env: { ...target.server.env, ...unit.serverEnv?.(target), ...env } }, target.id);
  prioritize(...new Set([server.pid, server.socketPid]));
  return server;
}

/** The same server started again as it was, with `env` added (W6's restart after a SIGTERM). */
async function restartServer(previous: ServerProcess, target: Target, env: Record<string, string>): Promise<ServerProcess> {
  const server = await ServerProcess.start({ ...previous.spec, env: { ...previous.spec.env, ...env } }, target.id);
  prioritize(...new Set([server.pid, server.socketPid]));
  return server;
}

function describe(row: Row): string {
  const m = row.metrics;
  const i = row.integrity;
  const parts = Object.entries(m).map(([k, v]) => `${k}=${v}`);
  if (!row.workload.startsWith("W3") && row.workload !== "W5") parts.push(`lost=${i.lost} reord=${i.reordered} dup=${i.duplicated}`);
  const closes = Object.entries(i.closes);
  if (closes.length) parts.push(`server-closed=${JSON.stringify(i.closes)}`);
  if (i.errors) parts.push(`errors=${i.errors}`);
  parts.push(`srvCPU=${row.serverCpuPercent}% other=${row.load.otherCpuPercent}% (steal ${row.load.stealCpuPercent}%)`);
  return parts.join(" ") + (row.notes.length ? ` (${row.notes.join("; ")})` : "");
}

async function measureClocks(clients: ClientProcess[]): Promise<number> {
  let worst = 0;
  for (const client of clients) {
    let best = Infinity;
    let offset = 0;
    for (let i = 0; i < 20; i++) {
      const t0 = now();
      const reply = await client.request({ op: "clock", id: i }, "clock");
      const t1 = now();
      if (t1 - t0 < best) {
        best = t1 - t0;
        offset = reply.t - (t0 + t1) / 2;
      }
    }
    worst = Math.max(worst, Math.abs(offset));
  }
  return worst;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
