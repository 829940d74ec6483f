// The workloads W3 and W4, each against one freshly started server, and what every workload shares
// (W1 and W2, which take turns between servers, are in interleaved.ts; W5, churn in turns, in
// churn.ts; W6, the reconnect storm, in reconnect-storm.ts). A workload returns rows of metrics, with the loss/order/duplication counts
// and the machine's load while it ran.
import { Histogram } from "./histogram.ts";
import { ClientProcess, ServerProcess } from "./processes.ts";
import { LoadWatch, processFds, processRss, type WindowLoad } from "./proc.ts";
import { median } from "./report.ts";
import { now, type ConnSpec, type Plan, type ReceiveStats } from "./protocol.ts";
import type { Target } from "./targets.ts";

export type WorkloadId = "W1-latency" | "W1-throughput" | "W2" | "W3-2000" | "W3-10000" | "W3t-2000" | "W3t-10000" | "W4" | "W5" | "W6";

export interface BenchConfig {
  /** turns × turnMs: how long each server of W1 (per phase) and W2 is measured, in turns of turnMs. */
  w1: { clients: number; rate: number; turns: number; turnMs: number; window: number };
  w2: { clients: number; batch: number; turns: number; turnMs: number };
  /**
   * W3 as shipped reads each size `readAfterMs` after its last connection opened (past the shipped
   * hibernation time, so that rooms are idle as in production) and `earlyReadMs` after it.
   * The tuned W3 (`--tuned`) waits settleMs and hibernates rooms after hibernateAfterMs.
   */
  w3: { sizes: number[]; roomSize: number; earlyReadMs: number; readAfterMs: number; settleMs: number; hibernateAfterMs: number };
  w4: { rooms: number; perRoom: number; durationMs: number };
  /** W5: `warmupMs` of churn on each server, then `turns` turns of `turnMs` each (see churn.ts). */
  w5: { loops: number; rooms: number; warmupMs: number; turns: number; turnMs: number };
  /**
   * W6: rooms × perRoom RoomClients, `messages` per room before the restart (from as many members),
   * opened `concurrency` at a time per client process; every client back within `timeoutMs` of it.
   */
  w6: { rooms: number; perRoom: number; messages: number; concurrency: number; timeoutMs: number };
  /** Source addresses the clients spread over (127.0.0.x). */
  locals: string[];
}

export interface Integrity {
  expected: number;
  delivered: number;
  lost: number;
  reordered: number;
  duplicated: number;
  /** Sockets the server closed during the run, by code. */
  closes: Record<string, number>;
  errors: number;
}

export interface Row {
  workload: WorkloadId;
  metrics: Record<string, number>;
  integrity: Integrity;
  load: WindowLoad;
  /** % of one core, over the window. */
  serverCpuPercent: number;
  clientCpuPercent: number[];
  notes: string[];
  /** W1, W2, W5: the primary figure of each of this server's turns (see interleaved.ts). */
  turns?: number[];
}

export interface RunContext {
  target: Target;
  server: ServerProcess;
  clients: ClientProcess[];
  config: BenchConfig;
  /**
   * Starts this target again as it was started, with `env` added (W6's restart); the orchestrator
   * stops it with the others at the end of the unit.
   */
  restart?: (env: Record<string, string>) => Promise<ServerProcess>;
}

export const EMPTY_INTEGRITY: Integrity = { expected: 0, delivered: 0, lost: 0, reordered: 0, duplicated: 0, closes: {}, errors: 0 };

export function wsUrl(ctx: RunContext, room: number): string {
  return ctx.server.url.replace(/^http/, "ws") + ctx.target.path(room);
}

export function local(ctx: RunContext, cid: number): string | undefined {
  const locals = ctx.config.locals;
  return locals.length ? locals[cid % locals.length] : undefined;
}

export function watch(ctx: RunContext): LoadWatch {
  return new LoadWatch([process.pid, ctx.server.pid, ctx.server.socketPid, ...ctx.clients.map((c) => c.pid)].filter((p, i, a) => a.indexOf(p) === i));
}

function cpuPercent(load: WindowLoad, pid: number): number {
  return load.seconds > 0 ? Math.round(((load.perProcessCpuMs[pid] ?? 0) / (load.seconds * 1000)) * 1000) / 10 : 0;
}

/**
 * Sockets being opened at once, per client process. On workerd, 64 per process keep its accept
 * queue from ever emptying, and its event loop polls for I/O only once that queue is empty: sockets
 * accepted before their request arrived then wait for the end of the storm, and if that takes more
 * than 15 s (a loaded machine) workerd's header timeout resets them (see OPEN_RETRIES in client.ts).
 * 8 per process leave it idle moments; W4's 4,000 then open in ~8.5 s instead of ~6 s on 2 cores.
 */
function openConcurrency(ctx: RunContext, wanted: number): number {
  return ctx.target.platform === "workerd" ? Math.min(8, wanted) : wanted;
}

export async function openAll(ctx: RunContext, assignment: ConnSpec[][], wanted = 64): Promise<void> {
  const concurrency = openConcurrency(ctx, wanted);
  const results = await Promise.all(
    assignment.map((conns, i) => ctx.clients[i]!.request({ op: "open", conns, concurrency }, "opened", 180_000)),
  );
  const retried = results.reduce((n, r) => n + r.retried, 0);
  if (retried > 0) {
    const why = results.find((r) => r.firstRetryReason)?.firstRetryReason;
    console.warn(`${ctx.target.id}: ${retried} of ${assignment.flat().length} connections failed while opening and were opened again (${why})`);
  }
  const failed = results.reduce((n, r) => n + r.failed, 0);
  if (failed > 0) {
    const why = results.find((r) => r.firstError)?.firstError;
    throw new Error(`${ctx.target.id}: ${failed} of ${assignment.flat().length} connections failed (${why})`);
  }
}

/** Closes every client socket; `abrupt` (thousands of idle sockets) drops them without a handshake. */
export async function closeAll(ctx: RunContext, abrupt = false): Promise<void> {
  await Promise.all(ctx.clients.map((c) => c.request({ op: "close", abrupt }, "closed", 60_000)));
}

/** Runs one plan per client process, then collects what each one received. */
export async function runPlans(ctx: RunContext, plans: Array<Plan | null>, rooms: Map<number, number>, drainMs: number, group = 0) {
  const involved = plans.map((plan, i) => (plan ? ctx.clients[i]! : null));
  const ran = await Promise.all(involved.map((c, i) => (c ? c.request({ op: "run", plan: plans[i]! }, "ran", 300_000) : null)));
  const senders: Array<{ cid: number; room: number; sent: number }> = [];
  for (const r of ran) for (const s of r?.sent ?? []) senders.push({ ...s, room: rooms.get(s.cid) ?? -1 });
  const reports = await Promise.all(
    involved.map((c) => (c ? c.request({ op: "report", senders, drainMs, group }, "report", drainMs + 60_000) : null)),
  );
  return { ran, senders, stats: reports.filter((r) => r !== null).map((r) => r.stats) };
}

export function merge(stats: ReceiveStats[]) {
  const latency = new Histogram();
  const integrity: Integrity = { ...EMPTY_INTEGRITY, closes: {} };
  let firstAt = Infinity;
  let lastAt = 0;
  let rounds = 0;
  for (const s of stats) {
    latency.merge(s.latency);
    integrity.expected += s.expected;
    integrity.delivered += s.delivered;
    integrity.lost += s.lost;
    integrity.reordered += s.reordered;
    integrity.duplicated += s.duplicated;
    integrity.errors += s.errors;
    for (const [code, n] of Object.entries(s.closes)) integrity.closes[code] = (integrity.closes[code] ?? 0) + n;
    if (s.firstAt > 0) firstAt = Math.min(firstAt, s.firstAt);
    lastAt = Math.max(lastAt, s.lastAt);
    rounds += s.rounds;
  }
  return { latency, integrity, firstAt, lastAt, rounds };
}

export const ms = (us: number) => Math.round(us) / 1000;

export function finishRow(ctx: RunContext, workload: WorkloadId, load: WindowLoad, metrics: Record<string, number>, integrity: Integrity, notes: string[] = []): Row {
  return {
    workload,
    metrics,
    integrity,
    load,
    serverCpuPercent: cpuPercent(load, ctx.server.socketPid),
    clientCpuPercent: ctx.clients.map((c) => cpuPercent(load, c.pid)),
    notes,
  };
}

/** W4, closed loop over many rooms: every client sends `batch` frames, waits for everyone else's in its room, repeats. */
async function closedLoop(ctx: RunContext, workload: WorkloadId, roomCount: number, perRoom: number, batch: number, durationMs: number, procs: number): Promise<Row> {
  const assignment: ConnSpec[][] = ctx.clients.map(() => []);
  const rooms = new Map<number, number>();
  const roomSizes: Record<number, number> = {};
  for (let cid = 0; cid < roomCount * perRoom; cid++) {
    const room = Math.floor(cid / perRoom);
    assignment[cid % procs]!.push({ cid, url: wsUrl(ctx, room), local: local(ctx, cid), room });
    rooms.set(cid, room);
    roomSizes[room] = perRoom;
  }
  await openAll(ctx, assignment);
  const load = watch(ctx);
  const at = now() + 300;
  const plans = ctx.clients.map((_, i): Plan | null => (i < procs ? { mode: "closed-loop", at, durationMs, batch, roomSizes, group: 0 } : null));
  const { stats } = await runPlans(ctx, plans, rooms, 10_000);
  const windowLoad = load.finish();
  const m = merge(stats);
  const seconds = Math.max(1e-3, (m.lastAt - at) / 1000);
  await closeAll(ctx, roomCount > 1);
  return finishRow(ctx, workload, windowLoad, {
    deliveredPerSec: Math.round(m.integrity.delivered / seconds),
    roundsPerSec: Math.round(m.rounds / seconds),
    p50: ms(m.latency.quantile(0.5)),
    p99: ms(m.latency.quantile(0.99)),
    max: ms(m.latency.max),
  }, m.integrity);
}

export function w4(ctx: RunContext): Promise<Row[]> {
  const { rooms, perRoom, durationMs } = ctx.config.w4;
  return closedLoop(ctx, "W4", rooms, perRoom, 1, durationMs, Math.min(3, ctx.clients.length)).then((r) => [r]);
}

async function settle(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** Server RSS as it is, after a pause: no forced collection, as a user's server would be read. */
export async function rssAfter(ctx: RunContext, ms: number): Promise<number> {
  await settle(ms);
  return processRss(ctx.server.socketPid) ?? Number.NaN;
}

/** Server RSS after a full GC, through the bench's collection route (the tuned W3 only). */
async function quietRss(ctx: RunContext, settleMs: number): Promise<number> {
  await settle(settleMs);
  await ctx.server.gc();
  await settle(200);
  return processRss(ctx.server.socketPid) ?? Number.NaN;
}

/**
 * W3, as users run the server: idle connections in rooms of `roomSize`, up to each of `sizes`
 * (2,000 and 10,000), on one server started with Node's and workerd's default flags and the
 * shipped hibernation time, read without forcing a collection. A warm-up opens and closes
 * sizes[0]/5 connections; the empty server is read `readAfterMs` later, as long after its last
 * connection as the loaded server will be (so that V8's memory reducer, or the runtime's
 * hibernation, has had the same time on both readings; read sooner, a baseline whose reducer ran
 * in between read below its empty self). Connections are then
 * opened in batches up to each size, and the server is read `earlyReadMs` after the last one
 * opened (`at3sBytesPerConn`) and `readAfterMs` after it (`bytesPerConn`, the figure: by then
 * roomkit's Node runtime has hibernated the rooms, as production would). Both are the growth from
 * the empty server divided by the connections open: what an operator sees, one-time costs and
 * V8's own pace of collection included. `connectPerSec` is the opening rate over all batches.
 */
export async function w3(ctx: RunContext): Promise<Row[]> {
  const { roomSize, sizes, earlyReadMs, readAfterMs } = ctx.config.w3;
  const assign = w3Assignment(ctx, roomSize);
  await openAll(ctx, assign(0, Math.round(sizes[0]! / 5), 100_000), 50);
  await closeAll(ctx);
  const load = watch(ctx);
  const empty = await rssAfter(ctx, readAfterMs);
  // The empty server's heap too: what the young generation had grown to before the connections.
  const emptyHeap = await ctx.server.heap();
  const fdsBefore = processFds(ctx.server.socketPid) ?? 0;
  const rows: Row[] = [];
  let open = 0;
  let connectMs = 0;
  let previousSize = 0;
  for (const size of sizes) {
    const step = Math.round((size - previousSize) / (previousSize === 0 ? 5 : 4));
    while (open < size) {
      const to = Math.min(size, open + step);
      const t0 = now();
      await openAll(ctx, assign(open, to, 0), 50);
      connectMs += now() - t0;
      open = to;
    }
    const opened = now();
    const early = await rssAfter(ctx, earlyReadMs);
    const late = await rssAfter(ctx, Math.max(0, readAfterMs - (now() - opened)));
    // What the late reading is made of, where the sockets live in this process: V8's heap as
    // reserved (heapTotal, of which the young generation) and as used, read without a collection.
    const heap = await ctx.server.heap();
    const fds = (processFds(ctx.server.socketPid) ?? 0) - fdsBefore;
    rows.push(finishRow(ctx, `W3-${size}` as WorkloadId, load.finish(), {
      bytesPerConn: Math.round((late - empty) / size),
      at3sBytesPerConn: Math.round((early - empty) / size),
      rssEmptyMiB: mib(empty),
      rssAfterMiB: mib(late),
      connectPerSec: Math.round(open / (connectMs / 1000)),
      serverFdsPerConn: Math.round((fds / size) * 100) / 100,
      ...(heap && { heapTotalMiB: mib(heap.heapTotal), newSpaceMiB: mib(heap.newSpace), heapUsedMiB: mib(heap.heapUsed) }),
      ...(emptyHeap && { newSpaceEmptyMiB: mib(emptyHeap.newSpace), heapUsedEmptyMiB: mib(emptyHeap.heapUsed) }),
    }, { ...EMPTY_INTEGRITY, closes: {} }));
    previousSize = size;
  }
  await closeAll(ctx, true);
  return rows;
}

/** Connections `from`…`to` in rooms of `roomSize` (numbered from `roomOffset`), spread over the client processes. */
function w3Assignment(ctx: RunContext, roomSize: number) {
  const procs = ctx.clients.length;
  return (from: number, to: number, roomOffset: number): ConnSpec[][] => {
    const assignment: ConnSpec[][] = ctx.clients.map(() => []);
    for (let cid = from; cid < to; cid++) {
      const room = roomOffset + Math.floor(cid / roomSize);
      assignment[cid % procs]!.push({ cid, url: wsUrl(ctx, room), local: local(ctx, cid), room });
    }
    return assignment;
  };
}

/**
 * W3 tuned (`--tuned`; not how users run a server, reported beside the figure, never instead):
 * idle connections in rooms of `roomSize`, up to each of `sizes` (2,000 and 10,000), on one
 * server; RSS per connection, read after a full GC. A warm-up opens and closes sizes[0]/5
 * connections; then connections are opened in batches — five up to the first size, then four up to
 * each next size — with a reading after each batch. The figure for a size is the median of the
 * per-connection increments between the readings up to it (four each), so one-time steps (V8
 * growing its young generation to the working size, code compiled on first use) do not count as
 * memory per connection, whichever batch they fall in. The growth from the empty server is
 * reported too (`totalBytesPerConn`).
 *
 * An idle connection is one whose room has gone idle: on a target that hibernates its rooms itself
 * (roomkit's Node runtime), each batch is read twice — once its rooms are quiet (`awakeBytesPerConn`,
 * instances and databases still open) and once they have hibernated (`bytesPerConn`, the figure).
 */
export async function w3Tuned(ctx: RunContext): Promise<Row[]> {
  const { roomSize, settleMs, sizes, hibernateAfterMs } = ctx.config.w3;
  // The runtime's sweeper looks every hibernateAfterMs / 4 (at most every second).
  const hibernatedAfterMs = ctx.target.hibernatesRooms ? hibernateAfterMs + Math.min(1000, hibernateAfterMs / 4) + 300 : 0;
  const batch = w3Assignment(ctx, roomSize);
  /** RSS once the rooms are quiet and, where they hibernate, once they have. */
  type Reading = { awake: number; idle: number };
  const read = async (): Promise<Reading> => {
    const awake = await quietRss(ctx, settleMs);
    const idle = hibernatedAfterMs ? await quietRss(ctx, hibernatedAfterMs) : awake;
    return { awake, idle };
  };
  await openAll(ctx, batch(0, Math.round(sizes[0]! / 5), 100_000), 50);
  await closeAll(ctx);
  const load = watch(ctx);
  const empty = await quietRss(ctx, settleMs);
  const heapEmpty = await ctx.server.heap();
  const fdsBefore = processFds(ctx.server.socketPid) ?? 0;
  const rows: Row[] = [];
  let open = 0;
  let connectMs = 0;
  let previousSize = 0;
  let lastReading: Reading | null = null;
  for (const size of sizes) {
    const batches = previousSize === 0 ? 5 : 4;
    const step = Math.round((size - previousSize) / batches);
    const readings: Reading[] = lastReading ? [lastReading] : [];
    while (open < size) {
      const to = Math.min(size, open + step);
      const t0 = now();
      await openAll(ctx, batch(open, to, 0), 50);
      connectMs += now() - t0;
      open = to;
      readings.push(await read());
    }
    const heap = await ctx.server.heap();
    const fds = (processFds(ctx.server.socketPid) ?? 0) - fdsBefore;
    const increments = (which: "awake" | "idle") => readings.slice(1).map((r, i) => (r[which] - readings[i]![which]) / step);
    const after = readings.at(-1)!;
    lastReading = after;
    const metrics: Record<string, number> = {
      bytesPerConn: Math.round(median(increments("idle"))),
      awakeBytesPerConn: Math.round(median(increments("awake"))),
      totalBytesPerConn: Math.round((after.idle - empty) / size),
      rssEmptyMiB: mib(empty),
      rssAfterMiB: mib(after.idle),
      connectPerSec: Math.round(open / (connectMs / 1000)),
      serverFdsPerConn: Math.round((fds / size) * 100) / 100,
    };
    increments("idle").forEach((v, i) => (metrics[`increment${i + 1}`] = Math.round(v)));
    if (heapEmpty && heap) {
      metrics.heapBytesPerConn = Math.round((heap.heapUsed - heapEmpty.heapUsed) / size);
      metrics.heapTotalBytesPerConn = Math.round((heap.heapTotal - heapEmpty.heapTotal) / size);
      metrics.newSpaceGrowthMiB = mib(heap.newSpace - heapEmpty.newSpace);
    }
    rows.push({ ...finishRow(ctx, `W3t-${size}` as WorkloadId, load.finish(), metrics, { ...EMPTY_INTEGRITY, closes: {} }) });
    previousSize = size;
  }
  await closeAll(ctx, true);
  return rows;
}

const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
