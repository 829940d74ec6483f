// What the bench measures: two baselines (the platform limits) and four roomkit targets, each
// paired with the baseline of its platform and with the bars it is held to; and, for latency, each
// baseline once more storing every frame before relaying it (a reference, held to no bar).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ServerSpec } from "./processes.ts";

export type TargetId = "raw-ws" | "stored-ws" | "node-bare" | "node-chat" | "raw-do" | "stored-do" | "cf-bare" | "cf-chat";

export interface Bars {
  /** W1 (uncarryable rate) and W2 delivered/s vs the baseline: at least. */
  throughput: number;
  /** W1 (carryable rate) p50 latency vs the baseline: at most. */
  p50: number;
  /** W1 (carryable rate) p99 latency vs the baseline: at most. */
  p99: number;
  /** W3 server memory per idle connection, as users run the server, vs the baseline: at most. */
  memory: number;
  /** Connections opened per second (W3's opening, W5's churn) vs the baseline: at least. */
  connect: number;
  /** W6 time from the restart until every client is back, vs the baseline: at most (Node only: no restart on workerd). */
  storm?: number;
}

// The bars: the chat as shipped, and the bare room where it is held to a stricter one.
const NODE_BARS: Bars = { throughput: 0.95, p50: 1.2, p99: 1.35, memory: 1.35, connect: 0.85, storm: 1.5 };
const CLOUDFLARE_BARS: Bars = { throughput: 1.0, p50: 1.15, p99: 1.3, memory: 1.05, connect: 0.95 };

export interface Target {
  id: TargetId;
  label: string;
  platform: "node" | "workerd";
  /** The baseline this target's ratios are taken against (itself for a baseline). */
  baseline: TargetId;
  bars: Bars | null;
  server: ServerSpec;
  /** URL path of room `room` (chat: the route the example ships with). */
  path(room: number): string;
  /** Why this target cannot run here, or null. */
  unavailable(): string | null;
  /**
   * roomkit's Node runtime hibernates idle rooms itself (instance dropped, database closed), so W3
   * reads its memory once more after that. The baselines have nothing to hibernate; workerd
   * hibernates on its own schedule (~10 s), which W3 does not wait for.
   */
  hibernatesRooms?: boolean;
  /** The bench units this target runs in (default: all). */
  units?: string[];
  /** The room speaks roomkit's resume protocol (the chat): W6's clients resume with `since`. */
  resumes?: boolean;
}

const bare = (room: number) => `/bare/r${room}/ws`;
const chat = (room: number) => `/rooms/r${room}/ws`;

export function cloudflareRuntimeMissing(): string | null {
  const root = new URL("../../", import.meta.url);
  if (!existsSync(fileURLToPath(new URL("runtime-cloudflare/create-worker.ts", root)))) {
    return "not yet run: roomkit's Cloudflare runtime (runtime-cloudflare/) is not there yet";
  }
  return null;
}

export const TARGETS: readonly Target[] = [
  {
    id: "raw-ws",
    label: "raw ws (baseline)",
    platform: "node",
    baseline: "raw-ws",
    bars: null,
    server: { script: "baselines/raw-ws.ts" },
    path: bare,
    unavailable: () => null,
  },
  {
    // A reference beside the baseline, not a bar: what storing each message before relaying it
    // costs by itself on Node (better-sqlite3, WAL, as roomkit's Node runtime stores).
    id: "stored-ws",
    label: "raw ws storing each frame first (reference)",
    platform: "node",
    baseline: "raw-ws",
    bars: null,
    server: { script: "baselines/raw-ws.ts", env: { BENCH_STORE: "1" } },
    path: bare,
    unavailable: () => null,
    units: ["W1", "W2"],
  },
  {
    id: "node-bare",
    label: "roomkit Node, bare room",
    platform: "node",
    baseline: "raw-ws",
    bars: { ...NODE_BARS, memory: 1.2, connect: 0.9 },
    server: { script: "targets/node.ts" },
    hibernatesRooms: true,
    path: bare,
    unavailable: () => null,
  },
  {
    id: "node-chat",
    label: "roomkit Node, chat as shipped",
    platform: "node",
    baseline: "raw-ws",
    bars: NODE_BARS,
    server: { script: "targets/node.ts" },
    hibernatesRooms: true,
    resumes: true,
    path: chat,
    unavailable: () => null,
  },
  {
    id: "raw-do",
    label: "raw Durable Object (baseline)",
    platform: "workerd",
    baseline: "raw-do",
    bars: null,
    server: { script: "targets/workerd.ts", args: ["baseline"] },
    path: bare,
    unavailable: () => null,
  },
  {
    // The same on workerd: the relay waits for the output gate to confirm each write.
    id: "stored-do",
    label: "raw Durable Object storing each frame first (reference)",
    platform: "workerd",
    baseline: "raw-do",
    bars: null,
    server: { script: "targets/workerd.ts", args: ["stored-baseline"] },
    path: bare,
    unavailable: () => null,
    units: ["W1", "W2"],
  },
  {
    id: "cf-bare",
    label: "roomkit Cloudflare, bare room",
    platform: "workerd",
    baseline: "raw-do",
    bars: CLOUDFLARE_BARS,
    server: { script: "targets/workerd.ts", args: ["roomkit"] },
    path: bare,
    unavailable: cloudflareRuntimeMissing,
  },
  {
    id: "cf-chat",
    label: "roomkit Cloudflare, chat as shipped",
    platform: "workerd",
    baseline: "raw-do",
    bars: CLOUDFLARE_BARS,
    server: { script: "targets/workerd.ts", args: ["roomkit"] },
    resumes: true,
    path: chat,
    unavailable: cloudflareRuntimeMissing,
  },
];
