// W1 and W2 (and W5, churn.ts): a baseline and its targets measured in turns, not one after another.
//
// Why: on a shared machine the other load moves a server's throughput by tens of percent between
// one run of a few seconds and the next, so blocks run back to back compare different machines
// (per-repetition ratios spread from 0.75 to 1.42 that way). Here every server of a platform — the
// baseline and roomkit's two targets — is up at once with its own clients connected, and they take
// turns of `turnMs` in the order A B C, C B A, A B C … (a steady drift weighs the same on each). A
// server's figure is over all of its turns; its ratio is against the baseline's turns of the same
// repetition, interleaved with its own.
import { mergeLoads, type WindowLoad } from "./proc.ts";
import { now, type ConnSpec, type Plan, type ReceiveStats } from "./protocol.ts";
import { closeAll, finishRow, local, merge, ms, openAll, runPlans, watch, wsUrl, type Row, type RunContext, type WorkloadId } from "./workloads.ts";

/** Time from planning a turn to its first send: enough for the IPC round to every client process. */
export const LEAD_MS = 60;

interface Turn {
  at: number;
  sent: number;
  stats: ReceiveStats[];
  load: WindowLoad;
}

/**
 * `turns` turns of each server, in A B C / C B A order; returns each server's turns. One turn of
 * each goes first and is not counted: a server's first turn runs its code cold (the first W2 turn
 * of a fresh server delivered a third to two thirds of its later ones), and the more code a server
 * has to compile, the more a counted cold turn would cost it.
 */
export async function inTurns<T>(ctxs: RunContext[], turns: number, take: (ctx: RunContext, group: number) => Promise<T>): Promise<T[][]> {
  const taken = ctxs.map((): T[] => []);
  const forward = ctxs.map((_, group) => group);
  const backward = [...forward].reverse();
  for (const group of forward) await take(ctxs[group]!, group);
  for (let i = 0; i < turns; i++) {
    for (const group of i % 2 ? backward : forward) taken[group]!.push(await take(ctxs[group]!, group));
  }
  return taken;
}

/** What one server's turns add up to: frames per second over the time its turns ran, latency over all. */
function sumTurns(turns: Turn[]) {
  const all = merge(turns.flatMap((t) => t.stats));
  const seconds = (t: Turn) => Math.max(1e-3, (merge(t.stats).lastAt - t.at) / 1000);
  const totalSeconds = turns.reduce((n, t) => n + seconds(t), 0);
  return {
    ...all,
    deliveredPerSec: Math.round(all.integrity.delivered / totalSeconds),
    roundsPerSec: Math.round(all.rounds / totalSeconds),
    perTurn: (figure: "deliveredPerSec" | "p99") =>
      turns.map((t) => {
        const m = merge(t.stats);
        return figure === "p99" ? ms(m.latency.quantile(0.99)) : Math.round(m.integrity.delivered / seconds(t));
      }),
    load: mergeLoads(turns.map((t) => t.load)),
  };
}

/** Connects `perServer` clients in room 0 of every server; `procOf` spreads them over the client processes. */
async function connectEach(ctxs: RunContext[], perServer: number, procOf: (cid: number) => number): Promise<Map<number, number>> {
  const rooms = new Map<number, number>();
  for (const [group, ctx] of ctxs.entries()) {
    const assignment: ConnSpec[][] = ctx.clients.map(() => []);
    for (let i = 0; i < perServer; i++) {
      const cid = group * perServer + i;
      assignment[procOf(i)]!.push({ cid, url: wsUrl(ctx, 0), local: local(ctx, cid), room: 0, group });
      rooms.set(cid, 0);
    }
    await openAll(ctx, assignment);
  }
  return rooms;
}

/**
 * W1: one room of `clients` per server; one sender at a carryable rate (latency), then as fast as a
 * window of unconfirmed frames allows (throughput).
 */
export async function w1(ctxs: RunContext[]): Promise<Row[][]> {
  const { clients: n, rate, turns, turnMs, window } = ctxs[0]!.config.w1;
  const receiverProcs = Math.max(1, ctxs[0]!.clients.length - 1);
  // Process 0: the sender (first client) and the window probe (second). The other receivers spread over the rest.
  const rooms = await connectEach(ctxs, n, (i) => (i < 2 ? 0 : 1 + ((i - 2) % receiverProcs)));
  const rows = ctxs.map((): Row[] => []);
  for (const phase of ["latency", "throughput"] as const) {
    const taken = await inTurns(ctxs, turns, async (ctx, group) => {
      const sender = group * n;
      const load = watch(ctx);
      const at = now() + LEAD_MS;
      const plans: Plan[] = ctx.clients.map((_, i) => ({
        mode: "open-loop",
        at,
        durationMs: turnMs,
        senders: i === 0 ? [{ cid: sender, rate: phase === "latency" ? rate : Infinity }] : [],
        window: phase === "throughput" ? { probe: sender + 1, max: window } : undefined,
      }));
      const { senders, stats } = await runPlans(ctx, plans, rooms, 10_000, group);
      return { at, sent: senders.reduce((s, x) => s + x.sent, 0), stats, load: load.finish() };
    });
    for (const [group, ctx] of ctxs.entries()) {
      const mine = taken[group]!;
      const sum = sumTurns(mine);
      const workload: WorkloadId = phase === "latency" ? "W1-latency" : "W1-throughput";
      const row = finishRow(ctx, workload, sum.load, {
        deliveredPerSec: sum.deliveredPerSec,
        sentPerSec: Math.round(mine.reduce((s, t) => s + t.sent, 0) / ((turns * turnMs) / 1000)),
        p50: ms(sum.latency.quantile(0.5)),
        p90: ms(sum.latency.quantile(0.9)),
        p99: ms(sum.latency.quantile(0.99)),
        p999: ms(sum.latency.quantile(0.999)),
        max: ms(sum.latency.max),
      }, sum.integrity);
      rows[group]!.push({ ...row, turns: sum.perTurn(phase === "latency" ? "p99" : "deliveredPerSec") });
    }
  }
  await closeAll(ctxs[0]!);
  return rows;
}

/** W2: closed loop in one room of `clients` per server: each sends `batch` frames, waits for everyone else's, repeats. */
export async function w2(ctxs: RunContext[]): Promise<Row[][]> {
  const { clients: n, batch, turns, turnMs } = ctxs[0]!.config.w2;
  const procs = Math.min(2, ctxs[0]!.clients.length);
  const rooms = await connectEach(ctxs, n, (i) => i % procs);
  const taken = await inTurns(ctxs, turns, async (ctx, group) => {
    const load = watch(ctx);
    const at = now() + LEAD_MS;
    const plans = ctx.clients.map((_, i): Plan | null =>
      i < procs ? { mode: "closed-loop", at, durationMs: turnMs, batch, roomSizes: { 0: n }, group } : null,
    );
    const { stats } = await runPlans(ctx, plans, rooms, 10_000, group);
    return { at, sent: 0, stats, load: load.finish() };
  });
  await closeAll(ctxs[0]!);
  return ctxs.map((ctx, group) => {
    const sum = sumTurns(taken[group]!);
    const row = finishRow(ctx, "W2", sum.load, {
      deliveredPerSec: sum.deliveredPerSec,
      roundsPerSec: sum.roundsPerSec,
      p50: ms(sum.latency.quantile(0.5)),
      p99: ms(sum.latency.quantile(0.99)),
      max: ms(sum.latency.max),
    }, sum.integrity);
    return [{ ...row, turns: sum.perTurn("deliveredPerSec") }];
  });
}
