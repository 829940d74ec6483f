// A load-generator process: opens its share of the run's client sockets, sends on a schedule (open
// loop), in rounds (closed loop) or churns connections, and checks every frame it receives for
// loss, reordering and duplication. Driven by the orchestrator (bench/run.ts) over IPC. W6's clients
// (RoomClient, reconnecting on their own) are in storm.ts.
import WebSocket from "ws";
import { Histogram } from "../lib/histogram.ts";
import { closeStorm, handleStorm } from "./storm.ts";
import {
  now,
  parsePayload,
  payload,
  type ChurnPlan,
  type ChurnStats,
  type ClosedLoopPlan,
  type ConnSpec,
  type FromClient,
  type OpenLoopPlan,
  type ToClient,
} from "../lib/protocol.ts";

const PAD = "x".repeat(40);

/** What one receiving socket knows about one sender's sequence. */
interface Track {
  /** Highest seq seen. */
  last: number;
  /** Distinct seqs seen. */
  distinct: number;
  /** Seqs skipped over and not (yet) seen: arriving later makes them reordered. */
  missing: Set<number> | null;
}

interface Client {
  spec: ConnSpec;
  ws: WebSocket;
  seq: number;
  tracks: Map<number, Track>;
  // closed loop
  round: number;
  roundCounts: Map<number, number>;
}

const clients = new Map<number, Client>();
const groupOf = (client: Client) => client.spec.group ?? 0;
let latency = new Histogram();
const closes: Record<string, number> = {};
let delivered = 0;
let reordered = 0;
let duplicated = 0;
let other = 0;
let errors = 0;
let firstAt = 0;
let lastAt = 0;
let rounds = 0;
let cpuStart = process.cpuUsage();
let closing = false;
/** Called on each bench frame by the running plan (closed loop, window probe). */
let onFrame: ((client: Client, from: number, round: number) => void) | null = null;

function send(message: FromClient): void {
  process.send!(message);
}

const parsed = { cid: 0, seq: 0, round: 0, t: 0 };

function receive(client: Client, data: Buffer): void {
  const at = now();
  const text = data.toString();
  if (!parsePayload(text, parsed)) {
    other++;
    return;
  }
  if (firstAt === 0) firstAt = at;
  lastAt = at;
  delivered++;
  latency.record((at - parsed.t) * 1000);
  let track = client.tracks.get(parsed.cid);
  if (!track) client.tracks.set(parsed.cid, (track = { last: 0, distinct: 0, missing: null }));
  const seq = parsed.seq;
  if (seq === track.last + 1) {
    track.last = seq;
    track.distinct++;
  } else if (seq > track.last + 1) {
    track.missing ??= new Set();
    for (let s = track.last + 1; s < seq; s++) track.missing.add(s);
    track.last = seq;
    track.distinct++;
  } else if (track.missing?.delete(seq)) {
    reordered++;
    track.distinct++;
  } else {
    duplicated++;
  }
  onFrame?.(client, parsed.cid, parsed.round);
}

/**
 * A socket that fails at the connection level while opening (reset, closed before any response,
 * handshake timeout) is opened once more; an HTTP answer other than 101 never is. On workerd the
 * first sockets of an opening storm can be accepted before their request bytes arrive, and workerd's
 * event loop does not poll for I/O again while its accept queue stays non-empty: their request is
 * never read, and its 15 s header timeout resets them once the storm ends. The server never saw
 * them, so opening them again cannot add a member twice. Retries are counted and reported.
 */
const OPEN_RETRIES = 1;

function open(specs: ConnSpec[], concurrency: number): void {
  closing = false;
  const started = now();
  let next = 0;
  let ok = 0;
  let failed = 0;
  let retried = 0;
  let firstError: string | undefined;
  let firstRetryReason: string | undefined;
  let active = 0;
  const retry: Array<{ spec: ConnSpec; attempt: number }> = [];
  const done = () => {
    if (ok + failed === specs.length) send({ op: "opened", ok, failed, firstError, ms: now() - started, retried, firstRetryReason });
  };
  const start = (spec: ConnSpec, attempt: number) => {
    active++;
    const ws = new WebSocket(spec.url, { perMessageDeflate: false, localAddress: spec.local, handshakeTimeout: 30_000 });
    const client: Client = { spec, ws, seq: 0, tracks: new Map(), round: 0, roundCounts: new Map() };
    let settled = false;
    const settle = (error?: string, retryable = false) => {
      if (settled) return;
      settled = true;
      active--;
      if (error === undefined) {
        ok++;
        clients.set(spec.cid, client);
      } else if (retryable && attempt < OPEN_RETRIES) {
        retried++;
        firstRetryReason ??= error;
        ws.terminate();
        retry.push({ spec, attempt: attempt + 1 });
      } else {
        failed++;
        firstError ??= error;
      }
      launch();
      done();
    };
    ws.on("open", () => settle());
    ws.on("unexpected-response", (_req, res) => settle(`HTTP ${res.statusCode}`));
    ws.on("error", (error) => {
      errors++;
      settle(error.message, true);
    });
    ws.on("message", (data: Buffer) => receive(client, data));
    ws.on("close", (code: number) => {
      if (!closing) closes[code] = (closes[code] ?? 0) + 1;
      settle(`closed ${code} before open`, true);
    });
  };
  const launch = () => {
    while (active < concurrency && (retry.length > 0 || next < specs.length)) {
      const again = retry.shift();
      if (again) start(again.spec, again.attempt);
      else start(specs[next++]!, 0);
    }
  };
  if (specs.length === 0) done();
  launch();
}

function resetCounters(): void {
  delivered = reordered = duplicated = other = errors = rounds = 0;
  firstAt = lastAt = 0;
  for (const key of Object.keys(closes)) delete closes[key];
  for (const client of clients.values()) {
    client.tracks.clear();
    client.seq = 0;
    client.round = 0;
    client.roundCounts.clear();
  }
  latency = new Histogram();
  cpuStart = process.cpuUsage();
}

function sentCounts(): Array<{ cid: number; sent: number }> {
  return [...clients.values()].filter((c) => c.seq > 0).map((c) => ({ cid: c.spec.cid, sent: c.seq }));
}

async function waitUntil(at: number): Promise<void> {
  const delay = at - now();
  if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
}

function writable(client: Client): boolean {
  return client.ws.readyState === WebSocket.OPEN;
}

// ---- open loop: senders at a fixed rate, or as fast as a window of unconfirmed frames allows ----
async function openLoop(plan: OpenLoopPlan): Promise<void> {
  resetCounters();
  const senders = plan.senders.map((s) => ({ client: clients.get(s.cid)!, rate: s.rate })).filter((s) => s.client);
  await waitUntil(plan.at);
  const start = now();
  const end = start + plan.durationMs;
  if (senders.length === 0) return waitUntil(end);
  const window = plan.window;
  let probeSeen = 0;
  // Sends what is due; never queues without bound in our own socket either.
  const pump = () => {
    const t = now();
    if (t >= end) return;
    for (const { client, rate } of senders) {
      if (!writable(client)) continue;
      const due = Number.isFinite(rate) ? Math.floor(((t - start) / 1000) * rate) : Number.MAX_SAFE_INTEGER;
      let budget = window ? window.max - (client.seq - probeSeen) : Number.MAX_SAFE_INTEGER;
      while (client.seq < due && budget-- > 0 && client.ws.bufferedAmount < 1 << 20) {
        client.ws.send(payload(client.spec.cid, ++client.seq, 0, PAD));
      }
    }
  };
  if (window) {
    // Event-driven: every frame the probe sees frees one slot of the window.
    onFrame = (client) => {
      if (client.spec.cid === window.probe) {
        probeSeen++;
        pump();
      }
    };
  }
  // A rate: a tick per millisecond. A window: a slow tick only in case the window stalls on our buffer.
  const timer = setInterval(pump, window ? 5 : 1);
  pump();
  await waitUntil(end);
  clearInterval(timer);
  onFrame = null;
}

// ---- closed loop: rounds of `batch` frames, next round once everyone else's batch arrived ----
async function closedLoop(plan: ClosedLoopPlan): Promise<void> {
  resetCounters();
  await waitUntil(plan.at);
  const end = now() + plan.durationMs;
  const need = (client: Client) => ((plan.roomSizes[client.spec.room] ?? 1) - 1) * plan.batch;
  const sendRound = (client: Client) => {
    if (!writable(client) || now() >= end) return;
    client.round++;
    for (let i = 0; i < plan.batch; i++) client.ws.send(payload(client.spec.cid, ++client.seq, client.round, PAD));
    if (need(client) === 0) setImmediate(() => sendRound(client));
  };
  onFrame = (client, _from, round) => {
    const count = (client.roundCounts.get(round) ?? 0) + 1;
    if (round === client.round && count >= need(client)) {
      client.roundCounts.delete(round);
      rounds++;
      sendRound(client);
    } else client.roundCounts.set(round, count);
  };
  for (const client of clients.values()) if (groupOf(client) === plan.group) sendRound(client);
  await waitUntil(end);
  onFrame = null;
}

// ---- churn: open a socket, close it once open, repeat ----
async function churn(plan: ChurnPlan): Promise<ChurnStats> {
  resetCounters();
  const connect = new Histogram();
  let cycles = 0;
  let failures = 0;
  const samples: string[] = [];
  await waitUntil(plan.at);
  const end = now() + plan.durationMs;
  let n = 0;
  const loop = (): Promise<void> =>
    new Promise((resolve) => {
      const step = () => {
        if (now() >= end) return resolve();
        const i = n++;
        const started = now();
        const ws = new WebSocket(plan.urls[i % plan.urls.length]!, {
          perMessageDeflate: false,
          localAddress: plan.locals[i % plan.locals.length],
          handshakeTimeout: 10_000,
        });
        let failed = false;
        ws.on("open", () => {
          connect.record((now() - started) * 1000);
          ws.close(1000);
        });
        ws.on("message", () => {});
        const fail = (why: string) => {
          if (failed) return;
          failed = true;
          failures++;
          if (samples.length < 5) samples.push(why);
        };
        ws.on("unexpected-response", (_req, res) => {
          fail(`HTTP ${res.statusCode}`);
          ws.terminate();
        });
        ws.on("error", (error) => fail(error.message));
        ws.on("close", () => {
          if (!failed) cycles++;
          // A failure backs off a little so that an exhausted resource is not hammered.
          if (failed) setTimeout(step, 10);
          else step();
        });
      };
      step();
    });
  await Promise.all(Array.from({ length: plan.loops }, loop));
  return { cycles, errors: failures, errorSamples: samples, connect: connect.toJSON(), cpuMs: cpuMs() };
}

function cpuMs(): number {
  const used = process.cpuUsage(cpuStart);
  return (used.user + used.system) / 1000;
}

// ---- report: wait for stragglers (bounded), then count what never came ----
async function report(senders: Array<{ cid: number; room: number; sent: number }>, drainMs: number, group: number): Promise<void> {
  const members = [...clients.values()].filter((client) => groupOf(client) === group);
  const expectedFor = (client: Client) => {
    let total = 0;
    for (const s of senders) if (s.room === client.spec.room && s.cid !== client.spec.cid) total += s.sent;
    return total;
  };
  let expected = 0;
  for (const client of members) expected += expectedFor(client);
  const distinct = () => {
    let n = 0;
    for (const client of members) for (const track of client.tracks.values()) n += track.distinct;
    return n;
  };
  const deadline = now() + drainMs;
  let last = -1;
  let quietSince = now();
  while (now() < deadline) {
    const got = distinct();
    if (got >= expected) break;
    if (got !== last) {
      last = got;
      quietSince = now();
    } else if (now() - quietSince > Math.min(2000, drainMs)) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const got = distinct();
  send({
    op: "report",
    stats: {
      delivered,
      expected,
      lost: Math.max(0, expected - got),
      reordered,
      duplicated,
      other,
      firstAt,
      lastAt,
      latency: latency.toJSON(),
      closes: { ...closes },
      errors,
      cpuMs: cpuMs(),
      rounds,
    },
  });
}

async function closeAll(abrupt = false): Promise<void> {
  closing = true;
  if (abrupt) {
    for (const client of clients.values()) client.ws.terminate();
    clients.clear();
    return;
  }
  await Promise.all(
    [...clients.values()].map(
      (client) =>
        new Promise<void>((resolve) => {
          if (client.ws.readyState === WebSocket.CLOSED) return resolve();
          const timer = setTimeout(() => {
            client.ws.terminate();
            resolve();
          }, 3000);
          client.ws.once("close", () => {
            clearTimeout(timer);
            resolve();
          });
          client.ws.close(1000);
        }),
    ),
  );
  clients.clear();
}

process.on("message", (message: ToClient) => {
  const fail = (error: unknown) => send({ op: "error", message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  try {
    switch (message.op) {
      case "open":
        return open(message.conns, message.concurrency);
      case "clock":
        return send({ op: "clock", id: message.id, t: now() });
      case "run": {
        const plan = message.plan;
        if (plan.mode === "open-loop") void openLoop(plan).then(() => send({ op: "ran", sent: sentCounts() }), fail);
        else if (plan.mode === "closed-loop") void closedLoop(plan).then(() => send({ op: "ran", sent: sentCounts() }), fail);
        else void churn(plan).then((stats) => send({ op: "ran", sent: [], churn: stats }), fail);
        return;
      }
      case "report":
        return void report(message.senders, message.drainMs, message.group).catch(fail);
      case "close":
        return void Promise.all([closeAll(message.abrupt), closeStorm(message.abrupt)]).then(() => send({ op: "closed" }), fail);
      default:
        return handleStorm(message, send);
    }
  } catch (error) {
    fail(error);
  }
});
process.on("disconnect", () => process.exit(0));
send({ op: "ready" });
