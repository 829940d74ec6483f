// W6, the reconnect storm: 10,000 clients in 100 rooms, the server restarted as a deploy restarts
// it, every client reconnecting on its own. The clients are RoomClient (src/client), the client
// users run, with its default backoff and heartbeat (bench/load/storm.ts); the chat's resume with
// `since`, the raw baseline's and the bare room's clients simply open again (nothing to replay).
//
//   phase 1  every client connected (chat: synced); `messages` messages into each room, from as many
//            members; every member has them.
//   phase 2  SIGTERM to the server (which closes every socket with 1001 and exits); the same target
//            started again on the same port and, for roomkit, the same data directory. One member
//            per room sends one more message as soon as it is back, while most of its room is still
//            away: the chat's late members must get it through `since`.
//
// Figure: `resumedMs`, from the SIGTERM until the last client is back (chat: synced, others: open),
// on the shared clock. Only Node targets run W6: under Miniflare the bench has no restart that
// stands for a deploy on Cloudflare, so the workerd targets are not measured.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LoadWatch, listenOverflows } from "./proc.ts";
import type { ConnSpec, StormMessage, StormStats } from "./protocol.ts";
import { now } from "./protocol.ts";
import type { Target } from "./targets.ts";
import { closeAll, finishRow, local, watch, wsUrl, type Row, type RunContext } from "./workloads.ts";

/**
 * What W6 starts a target with: roomkit's Node target gets a data directory of the bench's own,
 * which it keeps when it stops, so that the server started after the restart has the same rooms.
 * W6 removes it at the end. The raw baseline stores nothing.
 */
export function stormServerEnv(target: Target): Record<string, string> {
  if (target.id === target.baseline) return {};
  return { BENCH_DATA_DIR: mkdtempSync(join(tmpdir(), "roomkit-bench-w6-")) };
}

function mergeStats(all: StormStats[]): StormStats {
  const sum = (pick: (s: StormStats) => number) => all.reduce((n, s) => n + pick(s), 0);
  const closes: Record<string, number> = {};
  for (const s of all) for (const [code, n] of Object.entries(s.closes)) closes[code] = (closes[code] ?? 0) + n;
  const failedAfter: Record<string, number> = {};
  for (const s of all) for (const [why, n] of Object.entries(s.failedAfter)) failedAfter[why] = (failedAfter[why] ?? 0) + n;
  return {
    failedAfter,
    clients: sum((s) => s.clients),
    ready: sum((s) => s.ready),
    resumedAt: all.flatMap((s) => s.resumedAt),
    attempts: sum((s) => s.attempts),
    attemptsMax: Math.max(0, ...all.map((s) => s.attemptsMax)),
    closes,
    expected: sum((s) => s.expected),
    delivered: sum((s) => s.delivered),
    lost: sum((s) => s.lost),
    reordered: sum((s) => s.reordered),
    duplicated: sum((s) => s.duplicated),
    stormDelivered: sum((s) => s.stormDelivered),
    errors: sum((s) => s.errors),
    errorSamples: [...new Set(all.flatMap((s) => s.errorSamples))].slice(0, 5),
    lostSamples: all.flatMap((s) => s.lostSamples).slice(0, 10),
    senderLogs: all.flatMap((s) => s.senderLogs),
    stopped: sum((s) => s.stopped),
    cpuMs: sum((s) => s.cpuMs),
    cpuPeakPct: Math.max(0, ...all.map((s) => s.cpuPeakPct)),
    loopDelayMaxMs: Math.max(0, ...all.map((s) => s.loopDelayMaxMs)),
    loopDelayP99Ms: Math.max(0, ...all.map((s) => s.loopDelayP99Ms)),
  };
}

async function waitAll(ctx: RunContext, expect: StormMessage[], resumed: boolean, timeoutMs: number, failedSince?: number) {
  const replies = await Promise.all(
    ctx.clients.map((c) => c.request({ op: "storm-wait", expect, resumed, timeoutMs, failedSince }, "storm-state", timeoutMs + 30_000)),
  );
  return { done: replies.every((r) => r.done), stats: mergeStats(replies.map((r) => r.stats)) };
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
const round1 = (x: number) => Math.round(x * 10) / 10;

export async function w6(ctx: RunContext): Promise<Row[]> {
  const { rooms, perRoom, messages, concurrency, timeoutMs } = ctx.config.w6;
  if (!ctx.restart) throw new Error("W6 needs a context that can restart its server");
  const resume = ctx.target.resumes === true;
  const procs = ctx.clients.length;
  const assignment: ConnSpec[][] = ctx.clients.map(() => []);
  for (let cid = 0; cid < rooms * perRoom; cid++) {
    const room = Math.floor(cid / perRoom);
    assignment[cid % procs]!.push({ cid, url: wsUrl(ctx, room), local: local(ctx, cid), room });
  }
  const procOf = (cid: number) => cid % procs;
  const byProcess = (list: StormMessage[], i: number) => list.filter((m) => procOf(m.cid) === i).map((m) => m.cid);
  // Before the restart: members 0 … messages−1 of each room send one message each. During it: one
  // member past them (a different process's for consecutive rooms) sends the room's last message.
  const before: StormMessage[] = [];
  const during: StormMessage[] = [];
  for (let room = 0; room < rooms; room++) {
    for (let j = 0; j < messages; j++) before.push({ cid: room * perRoom + j, room, k: 1, storm: false });
    during.push({ cid: room * perRoom + messages + (room % procs), room, k: 1, storm: true });
  }

  let server = ctx.server;
  const dataDir = server.spec.env?.BENCH_DATA_DIR;
  const port = new URL(server.url).port;
  try {
    // ---- phase 1 ----
    const opened = await Promise.all(
      assignment.map((conns, i) => ctx.clients[i]!.request({ op: "storm-open", conns, resume, concurrency }, "storm-opened", 180_000)),
    );
    const stopped = opened.reduce((n, r) => n + r.stopped, 0);
    if (stopped > 0) throw new Error(`${stopped} of ${rooms * perRoom} clients stopped trying before the restart (${opened.find((r) => r.firstError)?.firstError})`);
    const openMs = Math.max(...opened.map((r) => r.ms));
    await Promise.all(ctx.clients.map((c, i) => c.request({ op: "storm-send", cids: byProcess(before, i) }, "storm-sent")));
    const first = await waitAll(ctx, before, false, 60_000);
    if (!first.done || first.stats.lost > 0) throw new Error(`before the restart, ${first.stats.lost} of ${first.stats.expected} messages did not reach their room's members`);

    // ---- phase 2: the restart ----
    await Promise.all(ctx.clients.map((c, i) => c.request({ op: "storm-arm", senders: byProcess(during, i) }, "storm-armed")));
    // The old server's CPU counts until it exits, the new one's from its start: otherwise the
    // shutdown and the start-up would show as other processes' load.
    const load = watch(ctx);
    const sampler = setInterval(() => load.sample(), 50);
    const overflowsBefore = listenOverflows();
    const t0 = now();
    await server.terminate();
    const stopMs = now() - t0;
    server = await ctx.restart({ BENCH_PORT: port }).finally(() => clearInterval(sampler));
    const restartMs = now() - t0;
    load.add(server.pid);
    load.add(server.socketPid);
    const serverLoad = new LoadWatch([server.socketPid]);
    // First every client back, in every process; only then the messages: a process whose own
    // clients are all back cannot tell on its own whether a sender elsewhere has yet to send.
    const back = await waitAll(ctx, [], true, timeoutMs, t0 + restartMs);
    const overflowsAfter = listenOverflows();
    const windowLoad = load.finish();
    const serverWindow = serverLoad.finish();
    if (!back.done) {
      const b = back.stats;
      throw new Error(`${b.clients - b.resumedAt.length} of ${b.clients} clients not back ${timeoutMs} ms after the restart (${b.stopped} stopped trying; ${b.errorSamples.join("; ")})`);
    }
    // Without resume nothing is replayed: the storm message reaches those already back, counted
    // (stormReachPct) but not due; what is checked is that every client is back and phase 1 intact.
    const expect = resume ? [...before, ...during] : before;
    const s = (await waitAll(ctx, expect, true, 30_000)).stats;

    const times = s.resumedAt.map((t) => t - t0).sort((a, b) => a - b);
    const goingAway = s.closes["1001"] ?? 0;
    // The closes that matter are the ones that are not the server's 1001 of a deploy.
    const unexpected = Object.fromEntries(Object.entries(s.closes).filter(([code]) => code !== "1001"));
    const notes: string[] = [];
    if (goingAway !== s.clients) notes.push(`${goingAway} of ${s.clients} clients closed with 1001 (first closes: ${JSON.stringify(s.closes)})`);
    if (s.errors) notes.push(`client errors: ${s.errorSamples.join("; ")}`);
    // Attempts started once the new server listened that failed all the same: each costs its
    // client a backoff step.
    const failed = Object.entries(back.stats.failedAfter);
    if (failed.length) notes.push(`attempts started after the new server listened that failed: ${failed.map(([why, n]) => `${n} ${why}`).join(", ")}`);
    if (s.lost) {
      // Times relative to the SIGTERM; the senders of the rooms concerned, to see when their message went out.
      const rel = (text: string) => text.replace(/@(\d+)/g, (_, t: string) => `+${Math.round(Number(t) - t0)}ms`);
      const lostRooms = new Set(s.lostSamples.map((l) => /\(room (\d+)\)/.exec(l)?.[1]));
      const senders = s.senderLogs.filter((l) => lostRooms.has(/\(room (\d+)\)/.exec(l)?.[1]));
      notes.push(`lost: ${[...s.lostSamples, ...senders].map(rel).join(" | ")}`);
    }
    const row = finishRow({ ...ctx, server }, "W6", windowLoad, {
      resumedMs: round1(times.at(-1)!),
      resumeP50: round1(quantile(times, 0.5)),
      resumeP99: round1(quantile(times, 0.99)),
      restartMs: round1(restartMs),
      stopMs: round1(stopMs),
      // The part of the figure after the new server listens: accepting 10,000 and the backoff's steps.
      backAfterListenMs: round1(times.at(-1)! - restartMs),
      attempts: s.attempts,
      attemptsMax: s.attemptsMax,
      failedAfterListen: Object.values(back.stats.failedAfter).reduce((a, b) => a + b, 0),
      // Handshakes the kernel dropped with the accept queue full (machine-wide), until all were
      // back: each delays a connection by a TCP retransmission, a second or more.
      listenOverflows: overflowsBefore !== null && overflowsAfter !== null ? overflowsAfter - overflowsBefore : Number.NaN,
      stormReachPct: round1((s.stormDelivered / (rooms * (perRoom - 1))) * 100),
      openMs: Math.round(openMs),
      clients: s.clients,
      // The client processes during the storm (the worst of the four): are they what is measured?
      clientCpuPeakPct: back.stats.cpuPeakPct,
      clientLoopDelayP99Ms: back.stats.loopDelayP99Ms,
      clientLoopDelayMaxMs: back.stats.loopDelayMaxMs,
    }, {
      expected: s.expected,
      delivered: s.delivered,
      lost: s.lost,
      reordered: s.reordered,
      duplicated: s.duplicated,
      closes: unexpected,
      errors: s.errors,
    }, notes);
    // The server's CPU is the new one's, from listening until every client was back.
    const newServerMs = serverWindow.perProcessCpuMs[server.socketPid] ?? 0;
    row.serverCpuPercent = serverWindow.seconds > 0 ? round1((newServerMs / (serverWindow.seconds * 1000)) * 100) : 0;
    return [row];
  } finally {
    await closeAll(ctx, true).catch(() => undefined);
    await server.shutdown();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}
