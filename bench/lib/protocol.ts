// What the bench orchestrator and its client processes say to each other over IPC, and the
// format of the frames the clients send. Every process stamps frames with the same clock.

/** Milliseconds since the epoch with sub-millisecond resolution, comparable across processes. */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

export interface ConnSpec {
  /** Client id, unique across all client processes of a run. */
  cid: number;
  url: string;
  /** Source address (127.0.0.x) so that many sockets do not exhaust one address's ports. */
  local?: string;
  /** Room index: clients with the same room hear each other. */
  room: number;
  /**
   * Which server of an interleaved measurement this socket belongs to (W1, W2: the baseline and its
   * targets are all connected at once and take turns). Absent: 0.
   */
  group?: number;
}

export interface OpenLoopPlan {
  mode: "open-loop";
  /** Shared-clock time to start sending. */
  at: number;
  durationMs: number;
  /** Sending clients in this process and their rate (messages/s); Infinity: as fast as the window allows. */
  senders: Array<{ cid: number; rate: number }>;
  /** Flow control for a rate the server cannot carry: at most `max` frames sent but not yet seen by `probe`. */
  window?: { probe: number; max: number };
}

export interface ClosedLoopPlan {
  mode: "closed-loop";
  at: number;
  durationMs: number;
  /** Every client of this process in `group` takes part: sends `batch` frames, waits for the batch of everyone else in its room. */
  batch: number;
  group: number;
  /** Members per room (room index → count). */
  roomSizes: Record<number, number>;
}

export interface ChurnPlan {
  mode: "churn";
  at: number;
  durationMs: number;
  /** Concurrent open→close loops in this process. */
  loops: number;
  urls: string[];
  locals: string[];
}

export type Plan = OpenLoopPlan | ClosedLoopPlan | ChurnPlan;

export type ToClient =
  | { op: "open"; conns: ConnSpec[]; concurrency: number }
  | { op: "clock"; id: number }
  | { op: "run"; plan: Plan }
  /** Counts what the clients of `group` received from `senders` (all of that group). */
  | { op: "report"; senders: Array<{ cid: number; room: number; sent: number }>; drainMs: number; group: number }
  /** Close every socket; `abrupt`: drop the TCP connections without a closing handshake. */
  | { op: "close"; abrupt?: boolean }
  | StormToClient;

export interface ReceiveStats {
  /** Frames received that carried a bench payload. */
  delivered: number;
  expected: number;
  lost: number;
  reordered: number;
  duplicated: number;
  /** Frames that were not bench payloads (history, notices, errors). */
  other: number;
  firstAt: number;
  lastAt: number;
  latency: import("./histogram.ts").HistogramData;
  /** Sockets closed by the server during the run, by close code. */
  closes: Record<string, number>;
  errors: number;
  cpuMs: number;
  rounds: number;
}

export interface ChurnStats {
  cycles: number;
  errors: number;
  errorSamples: string[];
  connect: import("./histogram.ts").HistogramData;
  cpuMs: number;
}

export type FromClient =
  | { op: "ready" }
  | { op: "opened"; ok: number; failed: number; firstError?: string; ms: number; retried: number; firstRetryReason?: string }
  | { op: "clock"; id: number; t: number }
  | { op: "ran"; sent: Array<{ cid: number; sent: number }>; churn?: ChurnStats }
  | { op: "report"; stats: ReceiveStats }
  | { op: "closed" }
  | { op: "error"; message: string }
  | StormFromClient;

// ---- W6, the reconnect storm (bench/load/storm.ts): RoomClient instances instead of bare sockets ----

/** One message of W6: sender, the sender's own count (1, 2, …), and whether it went out during the storm. */
export interface StormMessage {
  cid: number;
  room: number;
  k: number;
  storm: boolean;
}

export type StormToClient =
  /** Creates a RoomClient per conn, `concurrency` connecting at a time; replies once all are synced (resume) or open. */
  | { op: "storm-open"; conns: ConnSpec[]; resume: boolean; concurrency: number }
  /** Each of `cids` sends one message now. */
  | { op: "storm-send"; cids: number[] }
  /** From now on: note each client's close and its return; each of `senders` sends one message once back. */
  | { op: "storm-arm"; senders: number[] }
  /**
   * Waits (up to `timeoutMs`) until every client has `expect`'s messages of its room and, with
   * `resumed`, is back; counts the failed attempts started from `failedSince` on (shared clock).
   */
  | { op: "storm-wait"; expect: StormMessage[]; resumed: boolean; timeoutMs: number; failedSince?: number };

export interface StormStats {
  /** Attempts started from `failedSince` on (W6: once the new server listened) that failed, by ws's error code. */
  failedAfter: Record<string, number>;
  clients: number;
  /** Synced (resume) or open (otherwise) at the time of the reply. */
  ready: number;
  /** Clients back since storm-arm (synced, or open, after a close), and the shared-clock time each got there. */
  resumedAt: number[];
  /** Reconnect attempts since storm-arm (RoomClient's `reconnecting` events), in all and for the worst client. */
  attempts: number;
  attemptsMax: number;
  /** Each client's first close since storm-arm, by code. */
  closes: Record<string, number>;
  /** Of `expect`: messages due, received once, never received; payloads received out of order or more than once. */
  expected: number;
  delivered: number;
  lost: number;
  reordered: number;
  duplicated: number;
  /** Storm messages received by the other members of their room (raw ws: not replayed, so not due). */
  stormDelivered: number;
  /** RoomClient `error` events, and clients that stopped trying (gave up or refused for good). */
  errors: number;
  errorSamples: string[];
  /** A few clients that lost a message, with what happened to them since storm-arm; the storm senders' own. */
  lostSamples: string[];
  senderLogs: string[];
  stopped: number;
  cpuMs: number;
  /** This process since storm-arm: its busiest 250 ms (% of one core), how late its event loop ran. */
  cpuPeakPct: number;
  loopDelayMaxMs: number;
  loopDelayP99Ms: number;
}

export type StormFromClient =
  | { op: "storm-opened"; ready: number; stopped: number; firstError?: string; ms: number }
  | { op: "storm-sent" }
  | { op: "storm-armed" }
  | { op: "storm-state"; done: boolean; stats: StormStats };

/** A frame as every client sends it: valid chat input, so the same bytes go to every target. */
export function payload(cid: number, seq: number, round: number, pad: string): string {
  return `{"user":"u${cid}","message":"${cid} ${seq} ${round} ${now().toFixed(3)} ${pad}"}`;
}

const MARK = '"message":"';

/**
 * Reads a bench payload from a received frame (raw relay: the input as sent; chat: the stored
 * message with seq and timestamp). Returns false for frames that are not bench payloads.
 */
export function parsePayload(text: string, into: { cid: number; seq: number; round: number; t: number }): boolean {
  const start = text.indexOf(MARK);
  if (start < 0) return false;
  const i = start + MARK.length;
  const a = text.indexOf(" ", i);
  const b = text.indexOf(" ", a + 1);
  const c = text.indexOf(" ", b + 1);
  const d = text.indexOf(" ", c + 1);
  if (a < 0 || b < 0 || c < 0 || d < 0) return false;
  into.cid = Number(text.slice(i, a));
  into.seq = Number(text.slice(a + 1, b));
  into.round = Number(text.slice(b + 1, c));
  into.t = Number(text.slice(c + 1, d));
  return Number.isFinite(into.cid) && Number.isFinite(into.t);
}
