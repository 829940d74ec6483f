// W5: connect/disconnect churn — open a socket, close it once open, repeat — over a few rooms, with
// the platform's servers taking turns as in W1 and W2 (interleaved.ts says why: a server measured
// for a few seconds after another moved by tens of percent with the machine's other load).
//
// Each server first churns for `warmupMs`, uncounted: a server that has been up a while is what the
// figure describes, not its first seconds, when the JIT is still compiling the upgrade path (the
// more code a server runs per connection, the more a counted cold start would cost it).
import { Histogram } from "./histogram.ts";
import { inTurns, LEAD_MS } from "./interleaved.ts";
import { mergeLoads, type WindowLoad } from "./proc.ts";
import { now, type ChurnStats } from "./protocol.ts";
import { EMPTY_INTEGRITY, finishRow, ms, rssAfter, watch, wsUrl, type Row, type RunContext } from "./workloads.ts";

interface ChurnTurn {
  stats: ChurnStats[];
  load: WindowLoad;
}

export async function w5(ctxs: RunContext[]): Promise<Row[][]> {
  const { loops, rooms, warmupMs, turns, turnMs } = ctxs[0]!.config.w5;
  const procs = Math.min(2, ctxs[0]!.clients.length);
  const churn = async (ctx: RunContext, durationMs: number): Promise<ChurnStats[]> => {
    const urls = Array.from({ length: rooms }, (_, r) => wsUrl(ctx, r));
    const at = now() + LEAD_MS;
    const plan = { mode: "churn" as const, at, durationMs, loops: Math.ceil(loops / procs), urls, locals: ctx.config.locals };
    const ran = await Promise.all(ctx.clients.slice(0, procs).map((client) => client.request({ op: "run", plan }, "ran", durationMs + 120_000)));
    return ran.map((r) => r.churn!);
  };
  for (const ctx of ctxs) await churn(ctx, warmupMs);
  const before = await Promise.all(ctxs.map((ctx) => rssAfter(ctx, 0)));
  const taken = await inTurns(ctxs, turns, async (ctx): Promise<ChurnTurn> => {
    const load = watch(ctx);
    const stats = await churn(ctx, turnMs);
    return { stats, load: load.finish() };
  });
  const after = await Promise.all(ctxs.map((ctx) => rssAfter(ctx, 1000)));
  return ctxs.map((ctx, group) => {
    const mine = taken[group]!;
    const connect = new Histogram();
    let errors = 0;
    const samples: string[] = [];
    for (const s of mine.flatMap((t) => t.stats)) {
      errors += s.errors;
      samples.push(...s.errorSamples);
      connect.merge(s.connect);
    }
    const perSec = (t: ChurnTurn) => t.stats.reduce((n, s) => n + s.cycles, 0) / (turnMs / 1000);
    const row = finishRow(ctx, "W5", mergeLoads(mine.map((t) => t.load)), {
      connectionsPerSec: Math.round(mine.reduce((n, t) => n + perSec(t), 0) / mine.length),
      connectP50: ms(connect.quantile(0.5)),
      connectP99: ms(connect.quantile(0.99)),
      rssGrowthKiB: Math.round((after[group]! - before[group]!) / 1024),
    }, { ...EMPTY_INTEGRITY, closes: {}, errors }, samples.length ? [`errors: ${[...new Set(samples)].join("; ")}`] : []);
    return [{ ...row, turns: mine.map((t) => Math.round(perSec(t))) }];
  });
}
