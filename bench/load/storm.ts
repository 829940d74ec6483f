// W6's side of a load-generator process (bench/lib/reconnect-storm.ts drives it): its share of the
// storm's clients, each a RoomClient — the client users run, with its default backoff (jittered,
// exponential) and heartbeat — so that the reconnection after a restart is the one users get, not
// one written for the bench. Checks what each client's application sees: every message of its
// room, once, in order. Loaded by client.ts, which passes it the storm-* ops.
import { monitorEventLoopDelay, type IntervalHistogram } from "node:perf_hooks";
import WebSocket from "ws";
import { RoomClient, type WebSocketConstructor } from "../../src/client/index.ts";
import { now, type ConnSpec, type StormFromClient, type StormMessage, type StormStats, type StormToClient } from "../lib/protocol.ts";

const PAD = "x".repeat(40);

/** A chat message as it comes back (raw ws and the bare room relay `{user, message}` as sent). */
type Received = { user?: unknown; message?: unknown; seq?: unknown };
type Outgoing = { user: string; message: string };

interface Member {
  spec: ConnSpec;
  client: RoomClient<Received, Outgoing>;
  /** Synced (resume) or open now. */
  ready: boolean;
  /** Messages this client sent: the `k` of its next one is sent + 1. */
  sent: number;
  /** Room seqs seen (resume mode), from messages and acks alike; and the highest. */
  seqs: Set<number>;
  lastSeq: number;
  /** Payloads seen (`cid:k`), and each sender's highest k: a payload is checked whatever the target. */
  keys: Set<string>;
  lastK: Map<number, number>;
  // Since storm-arm:
  closedCode: number | null;
  resumedAt: number | null;
  attempts: number;
  /** What happened to it since storm-arm (close, synced/open, messages): reported for a client that lost a message. */
  log: string[];
  /** Not trying any more (gave up after maxRetries, or a close code that means stop). */
  stopped: boolean;
}

const members = new Map<number, Member>();
let resume = false;
let armed = false;
let closing = false;
let stormSenders = new Set<number>();
const closes: Record<string, number> = {};
let reordered = 0;
let duplicated = 0;
let stormDelivered = 0;
let errors = 0;
let errorSamples: string[] = [];
let cpuStart = process.cpuUsage();
// Is this process the bottleneck during the storm? Its busiest quarter second and how late its
// event loop ran (a late loop notices a reconnection late and starts the next attempt late).
let loopDelay: IntervalHistogram | null = null;
let cpuSampler: ReturnType<typeof setInterval> | undefined;
let cpuPeakPct = 0;
/**
 * Since storm-arm: why attempts failed (ws's error code or message) and when each had started, to
 * tell the attempts made once the new server listened (a refusal handled late by a busy event loop
 * would otherwise look like one of them).
 */
let failures: Array<{ at: number; why: string }> = [];

// RoomClient opens `new WebSocket(url)`; the subclass adds what a load generator needs: a source
// address, so that 10,000 sockets do not exhaust one address's ephemeral ports, and no compression
// offer, as every bench socket. Each socket is tracked so that closing the clients can wait for them.
const live = new Set<WebSocket>();
const bound = new Map<string, WebSocketConstructor>();
function socketFrom(local: string | undefined): WebSocketConstructor {
  let found = bound.get(local ?? "");
  if (!found) {
    found = class extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols, { localAddress: local, perMessageDeflate: false });
        live.add(this);
        this.once("close", () => live.delete(this));
        const startedAt = now();
        this.once("error", (error: Error & { code?: string }) => {
          if (armed) failures.push({ at: startedAt, why: error.code ?? error.message });
        });
      }
    };
    bound.set(local ?? "", found);
  }
  return found;
}

/** `cid k round t pad`, the bench payload's fields (see payload() in protocol.ts). */
function parse(text: unknown): { from: number; k: number; round: number } | null {
  if (typeof text !== "string") return null;
  const [from, k, round] = text.split(" ", 3).map(Number);
  return Number.isInteger(from) && Number.isInteger(k) && Number.isInteger(round) ? { from: from!, k: k!, round: round! } : null;
}

function receive(member: Member, seq: number | null, data: Received | Outgoing): void {
  if (resume && seq !== null) {
    if (member.seqs.has(seq)) duplicated++;
    else if (seq < member.lastSeq) reordered++;
    member.seqs.add(seq);
    member.lastSeq = Math.max(member.lastSeq, seq);
  }
  const payload = parse(data.message);
  if (!payload) return;
  const key = `${payload.from}:${payload.k}`;
  // The same payload twice is a duplicate even under two seqs (a message stored twice).
  if (member.keys.has(key)) duplicated++;
  else if (payload.k < (member.lastK.get(payload.from) ?? 0)) reordered++;
  member.keys.add(key);
  member.lastK.set(payload.from, Math.max(member.lastK.get(payload.from) ?? 0, payload.k));
  if (payload.round === 1 && payload.from !== member.spec.cid) stormDelivered++;
}

function sendOne(member: Member, round: number): void {
  const { cid } = member.spec;
  member.sent++;
  member.client.send({ user: `u${cid}`, message: `${cid} ${member.sent} ${round} ${now().toFixed(3)} ${PAD}` });
}

function becameReady(member: Member): void {
  member.ready = true;
  if (!armed || member.closedCode === null || member.resumedAt !== null) return;
  member.resumedAt = now();
  // Back after the restart: a storm sender sends its room's message now, while others are still away.
  if (stormSenders.has(member.spec.cid)) sendOne(member, 1);
}

function create(spec: ConnSpec): Member {
  const client = new RoomClient<Received, Outgoing>({ url: spec.url, WebSocket: socketFrom(spec.local), resume, autoConnect: false });
  const member: Member = {
    spec,
    client,
    ready: false,
    sent: 0,
    seqs: new Set(),
    lastSeq: 0,
    keys: new Set(),
    lastK: new Map(),
    closedCode: null,
    resumedAt: null,
    attempts: 0,
    log: [],
    stopped: false,
  };
  const note = (what: string) => {
    if (armed && member.log.length < 20) member.log.push(`${what} @${now().toFixed(0)}`);
  };
  if (resume) {
    client.on("synced", (event) => {
      note(`synced ${event.seq}${event.resumed ? " resumed" : ""}`);
      becameReady(member);
    });
  } else {
    client.on("open", () => {
      note("open");
      becameReady(member);
    });
  }
  client.on("close", (event) => {
    note(`close ${event.code}`);
    member.ready = false;
    if (armed && member.closedCode === null) {
      member.closedCode = event.code;
      closes[event.code] = (closes[event.code] ?? 0) + 1;
    }
    if (!event.willReconnect && !closing) member.stopped = true;
  });
  client.on("reconnecting", () => {
    if (armed) member.attempts++;
  });
  client.on("message", (event) => {
    note(`message ${event.seq}${event.history ? " history" : ""}`);
    receive(member, event.seq, event.data);
  });
  client.on("ack", (event) => {
    note(`ack ${event.seq}`);
    receive(member, event.seq, event.data);
  });
  client.on("gap", (event) => note(`gap ${event.from}-${event.to}`));
  client.on("error", (error) => {
    errors++;
    if (errorSamples.length < 5) errorSamples.push(`${error.code}: ${error.detail}`);
  });
  members.set(spec.cid, member);
  return member;
}

function open(conns: ConnSpec[], useResume: boolean, concurrency: number, reply: (message: StormFromClient) => void): void {
  resume = useResume;
  armed = closing = false;
  reordered = duplicated = stormDelivered = errors = 0;
  errorSamples = [];
  const started = now();
  let next = 0;
  let active = 0;
  let settled = 0;
  let ready = 0;
  let stopped = 0;
  let firstError: string | undefined;
  const finish = () => {
    if (settled === conns.length) reply({ op: "storm-opened", ready, stopped, firstError, ms: now() - started });
  };
  const launch = () => {
    while (active < concurrency && next < conns.length) start(conns[next++]!);
  };
  // A client counts as connected once synced (resume) or open; one that fails retries on its own
  // schedule and keeps its place among the `concurrency` until then, or until it stops trying.
  const start = (spec: ConnSpec) => {
    active++;
    const member = create(spec);
    let counted = false;
    const settle = (why?: string) => {
      if (counted) return;
      counted = true;
      active--;
      settled++;
      if (why === undefined) ready++;
      else {
        stopped++;
        firstError ??= why;
      }
      launch();
      finish();
    };
    member.client.once(resume ? "synced" : "open", () => settle());
    member.client.on("close", (event) => {
      if (!event.willReconnect) settle(`closed ${event.code} ${event.reason}`.trim());
    });
    member.client.reconnect();
  };
  finish();
  launch();
}

function arm(senders: number[]): void {
  armed = true;
  stormSenders = new Set(senders);
  for (const key of Object.keys(closes)) delete closes[key];
  for (const member of members.values()) {
    member.closedCode = null;
    member.resumedAt = null;
    member.attempts = 0;
    member.log = [];
  }
  failures = [];
  cpuStart = process.cpuUsage();
  loopDelay?.disable();
  loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  clearInterval(cpuSampler);
  cpuPeakPct = 0;
  let last = { at: performance.now(), cpu: process.cpuUsage() };
  cpuSampler = setInterval(() => {
    const at = performance.now();
    const used = process.cpuUsage(last.cpu);
    cpuPeakPct = Math.max(cpuPeakPct, ((used.user + used.system) / 1000 / (at - last.at)) * 100);
    last = { at, cpu: process.cpuUsage() };
  }, 250);
}

/** The messages each member must have: its room's (raw ws and the bare room do not echo: not its own). */
function dueFor(expect: StormMessage[]): (member: Member) => StormMessage[] {
  const byRoom = new Map<number, StormMessage[]>();
  for (const m of expect) byRoom.set(m.room, [...(byRoom.get(m.room) ?? []), m]);
  return (member) => (byRoom.get(member.spec.room) ?? []).filter((m) => resume || m.cid !== member.spec.cid);
}

/** How many of `due` the member has: by room seq (resume: exactly 1…n) or by payload. */
function received(member: Member, due: StormMessage[]): number {
  if (resume) {
    let got = 0;
    for (let seq = 1; seq <= due.length; seq++) if (member.seqs.has(seq)) got++;
    return got;
  }
  return due.filter((m) => member.keys.has(`${m.cid}:${m.k}`)).length;
}

function stats(expect: StormMessage[], failedSince: number): StormStats {
  const due = dueFor(expect);
  const resumedAt: number[] = [];
  let expected = 0;
  let delivered = 0;
  let attempts = 0;
  let attemptsMax = 0;
  let ready = 0;
  let stopped = 0;
  const lostSamples: string[] = [];
  const senderLogs: string[] = [];
  for (const member of members.values()) {
    const mine = due(member);
    const got = received(member, mine);
    expected += mine.length;
    delivered += got;
    if (got < mine.length && lostSamples.length < 10) {
      const seen = resume ? `seqs [${[...member.seqs].sort((a, b) => a - b).join(",")}]` : `payloads [${[...member.keys].join(",")}]`;
      lostSamples.push(`client ${member.spec.cid} (room ${member.spec.room}) has ${seen}: ${member.log.join(", ")}`);
    }
    if (stormSenders.has(member.spec.cid)) {
      senderLogs.push(`sender ${member.spec.cid} (room ${member.spec.room}): ${member.log.join(", ")}`);
    }
    if (member.resumedAt !== null) resumedAt.push(member.resumedAt);
    attempts += member.attempts;
    attemptsMax = Math.max(attemptsMax, member.attempts);
    if (member.ready) ready++;
    if (member.stopped) stopped++;
  }
  const used = process.cpuUsage(cpuStart);
  const failedAfter: Record<string, number> = {};
  for (const { at, why } of failures) if (at >= failedSince) failedAfter[why] = (failedAfter[why] ?? 0) + 1;
  return {
    failedAfter,
    clients: members.size,
    ready,
    resumedAt,
    attempts,
    attemptsMax,
    closes: { ...closes },
    expected,
    delivered,
    lost: expected - delivered,
    reordered,
    duplicated,
    stormDelivered,
    errors,
    errorSamples: [...errorSamples],
    lostSamples,
    senderLogs,
    stopped,
    cpuMs: (used.user + used.system) / 1000,
    cpuPeakPct: Math.round(cpuPeakPct),
    loopDelayMaxMs: loopDelay ? Math.round(loopDelay.max / 1e6) : 0,
    loopDelayP99Ms: loopDelay ? Math.round(loopDelay.percentile(99) / 1e6) : 0,
  };
}

/**
 * Waits until every member has its messages and (`resumed`) is back since storm-arm. Once every
 * member is back, messages still missing get 10 s more (3 s without progress end it): a message
 * that has not come by then is lost. Every sender must have sent by then: the orchestrator first
 * waits, with nothing expected, until the clients of every process are back.
 */
async function wait(expect: StormMessage[], resumed: boolean, timeoutMs: number, failedSince: number, reply: (message: StormFromClient) => void): Promise<void> {
  const due = dueFor(expect);
  const dues = [...members.values()].map((member) => ({ member, due: due(member) }));
  const deadline = now() + timeoutMs;
  let allBackAt: number | null = null;
  let lastGot = -1;
  let quietSince = now();
  for (;;) {
    const back = dues.every(({ member }) => !resumed || (member.resumedAt !== null && member.ready));
    let got = 0;
    let missing = 0;
    for (const { member, due } of dues) {
      const n = received(member, due);
      got += n;
      missing += due.length - n;
    }
    if (back && missing === 0) break;
    const t = now();
    if (back) {
      allBackAt ??= t;
      if (got !== lastGot) {
        lastGot = got;
        quietSince = t;
      } else if (t - quietSince > 3000) break;
      if (t - allBackAt > 10_000) break;
    }
    if (t > deadline) return reply({ op: "storm-state", done: false, stats: stats(expect, failedSince) });
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  reply({ op: "storm-state", done: true, stats: stats(expect, failedSince) });
}

/** Stops every client (no reconnecting after this) and waits for their sockets; `abrupt`: drops them. */
export async function closeStorm(abrupt = false): Promise<void> {
  closing = true;
  armed = false;
  clearInterval(cpuSampler);
  loopDelay?.disable();
  for (const member of members.values()) member.client.close();
  members.clear();
  const sockets = [...live];
  if (abrupt) for (const ws of sockets) ws.terminate();
  await Promise.all(
    sockets.map(
      (ws) =>
        new Promise<void>((resolve) => {
          if (ws.readyState === WebSocket.CLOSED) return resolve();
          const timer = setTimeout(() => {
            ws.terminate();
            resolve();
          }, 3000);
          ws.once("close", () => {
            clearTimeout(timer);
            resolve();
          });
        }),
    ),
  );
}

export function handleStorm(message: StormToClient, reply: (message: StormFromClient) => void): void {
  switch (message.op) {
    case "storm-open":
      return open(message.conns, message.resume, message.concurrency, reply);
    case "storm-send":
      for (const cid of message.cids) {
        const member = members.get(cid);
        if (member) sendOne(member, 0);
      }
      return reply({ op: "storm-sent" });
    case "storm-arm":
      arm(message.senders);
      return reply({ op: "storm-armed" });
    case "storm-wait":
      void wait(message.expect, message.resumed, message.timeoutMs, message.failedSince ?? Infinity, reply);
      return;
  }
}
