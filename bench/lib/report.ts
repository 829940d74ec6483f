// Turning rows into the summary: per workload and target, every repetition, the median, the ratio
// to the baseline of the same run, and whether the bar of issue 7 is met. Printed as text and as
// Markdown (for docs/BENCHMARKS.md).
import type { Bars, Target, TargetId } from "./targets.ts";
import type { Row, WorkloadId } from "./workloads.ts";

export interface Primary {
  metric: string;
  label: string;
  unit: string;
  better: "higher" | "lower";
  bar?: keyof Bars;
  /** The workload whose rows this line reads, when not its own (a second figure of one workload). */
  from?: WorkloadId;
}

export type LineId = WorkloadId | "W1-p50" | "W3-2000-connect" | "W3-10000-connect";

/** Every line of the summary, in order: its figure, and the bar it is held to. */
export const PRIMARY: Record<LineId, Primary> = {
  "W1-latency": { metric: "p99", label: "p99 latency", unit: "ms", better: "lower", bar: "p99" },
  "W1-p50": { metric: "p50", label: "p50 latency", unit: "ms", better: "lower", bar: "p50", from: "W1-latency" },
  "W1-throughput": { metric: "deliveredPerSec", label: "delivered/s", unit: "/s", better: "higher", bar: "throughput" },
  W2: { metric: "deliveredPerSec", label: "delivered/s", unit: "/s", better: "higher", bar: "throughput" },
  "W3-2000": { metric: "bytesPerConn", label: "RSS per idle connection, as shipped", unit: "B", better: "lower", bar: "memory" },
  "W3-10000": { metric: "bytesPerConn", label: "RSS per idle connection, as shipped", unit: "B", better: "lower", bar: "memory" },
  "W3-2000-connect": { metric: "connectPerSec", label: "connections opened/s", unit: "/s", better: "higher", bar: "connect", from: "W3-2000" },
  "W3-10000-connect": { metric: "connectPerSec", label: "connections opened/s", unit: "/s", better: "higher", bar: "connect", from: "W3-10000" },
  "W3t-2000": { metric: "bytesPerConn", label: "RSS per idle connection, tuned (not as users run it)", unit: "B", better: "lower" },
  "W3t-10000": { metric: "bytesPerConn", label: "RSS per idle connection, tuned (not as users run it)", unit: "B", better: "lower" },
  W4: { metric: "deliveredPerSec", label: "delivered/s", unit: "/s", better: "higher" },
  W5: { metric: "connectionsPerSec", label: "connect+close/s", unit: "/s", better: "higher", bar: "connect" },
  W6: { metric: "resumedMs", label: "restart until every client is back", unit: "ms", better: "lower", bar: "storm" },
};

const AS_SHIPPED = ["at3sBytesPerConn", "rssEmptyMiB", "rssAfterMiB", "heapTotalMiB", "newSpaceMiB", "heapUsedMiB", "serverFdsPerConn"];
const TUNED = ["awakeBytesPerConn", "totalBytesPerConn", "heapBytesPerConn", "heapTotalBytesPerConn", "rssAfterMiB"];
/** Secondary figures shown next to the primary one. */
export const SECONDARY: Record<LineId, string[]> = {
  "W1-latency": ["p50", "max", "deliveredPerSec"],
  "W1-p50": [],
  "W1-throughput": ["p99", "sentPerSec"],
  W2: ["p50", "p99", "roundsPerSec"],
  "W3-2000": AS_SHIPPED,
  "W3-10000": AS_SHIPPED,
  "W3-2000-connect": [],
  "W3-10000-connect": [],
  "W3t-2000": TUNED,
  "W3t-10000": TUNED,
  W4: ["p50", "p99", "roundsPerSec"],
  W5: ["connectP50", "connectP99", "rssGrowthKiB"],
  W6: ["resumeP50", "resumeP99", "restartMs", "attempts", "stormReachPct"],
};

export interface RecordedRow extends Row {
  target: TargetId;
  rep: number;
}

export interface SummaryLine {
  workload: LineId;
  target: TargetId;
  label: string;
  baseline: TargetId;
  metric: string;
  unit: string;
  reps: number[];
  median: number;
  baselineMedian: number | null;
  /** Median over repetitions of (this repetition / the baseline's same repetition). */
  ratio: number | null;
  repRatios: number[];
  bar: { kind: keyof Bars; limit: number; op: ">=" | "<="; met: boolean } | null;
  secondary: Record<string, number>;
  integrity: { lost: number; reordered: number; duplicated: number; delivered: number; serverCloses: number; errors: number };
  serverCpuPercent: number;
  clientCpuPercent: number[];
  otherCpuPercentMax: number;
  loadavgMax: number;
}

export function median(values: number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function summarize(rows: RecordedRow[], targets: readonly Target[]): SummaryLine[] {
  const lines: SummaryLine[] = [];
  const ran = new Set(rows.map((r) => r.workload));
  for (const [id, primary] of Object.entries(PRIMARY) as Array<[LineId, Primary]>) {
    const workload = primary.from ?? (id as WorkloadId);
    if (!ran.has(workload)) continue;
    for (const target of targets) {
      const mine = rows.filter((r) => r.workload === workload && r.target === target.id).sort((a, b) => a.rep - b.rep);
      if (mine.length === 0) continue;
      const reps = mine.map((r) => r.metrics[primary.metric] ?? Number.NaN);
      const med = median(reps);
      const base = rows.filter((r) => r.workload === workload && r.target === target.baseline);
      const baselineMedian = base.length ? median(base.map((r) => r.metrics[primary.metric] ?? Number.NaN)) : null;
      // Each repetition against the baseline run just before it (same minute, same machine load),
      // then the median of those ratios: slow changes in the machine's other load cancel out.
      const repRatios = mine.map((r) => {
        const b = base.find((x) => x.rep === r.rep)?.metrics[primary.metric];
        const v = r.metrics[primary.metric];
        // Every figure is a positive quantity; one at or below zero (W3: RSS read below the empty
        // server's, where V8's memory reducer shrank the heap in between) gives no ratio.
        return b !== undefined && b > 0 && v !== undefined && Number.isFinite(v) && v > 0 ? v / b : Number.NaN;
      });
      const ratio = target.id === target.baseline || !base.length ? null : median(repRatios);
      let bar: SummaryLine["bar"] = null;
      const limit = primary.bar && target.bars ? target.bars[primary.bar] : undefined;
      if (primary.bar && limit !== undefined && ratio !== null) {
        const op = primary.better === "higher" ? ">=" : "<=";
        bar = { kind: primary.bar, limit, op, met: op === ">=" ? ratio >= limit : ratio <= limit };
      }
      const secondary: Record<string, number> = {};
      for (const key of SECONDARY[id]) secondary[key] = median(mine.map((r) => r.metrics[key] ?? Number.NaN));
      const sum = (f: (r: RecordedRow) => number) => mine.reduce((n, r) => n + f(r), 0);
      lines.push({
        workload: id,
        target: target.id,
        label: target.label,
        baseline: target.baseline,
        metric: primary.metric,
        unit: primary.unit,
        reps,
        median: med,
        baselineMedian,
        ratio: ratio !== null && Number.isFinite(ratio) ? ratio : null,
        repRatios,
        bar,
        secondary,
        integrity: {
          lost: sum((r) => r.integrity.lost),
          reordered: sum((r) => r.integrity.reordered),
          duplicated: sum((r) => r.integrity.duplicated),
          delivered: sum((r) => r.integrity.delivered),
          serverCloses: sum((r) => Object.values(r.integrity.closes).reduce((a, b) => a + b, 0)),
          errors: sum((r) => r.integrity.errors),
        },
        serverCpuPercent: median(mine.map((r) => r.serverCpuPercent)),
        clientCpuPercent: (mine[0]?.clientCpuPercent ?? []).map((_, i) => median(mine.map((r) => r.clientCpuPercent[i] ?? 0))),
        otherCpuPercentMax: Math.max(...mine.map((r) => r.load.otherCpuPercent)),
        loadavgMax: Math.max(...mine.map((r) => Math.max(...r.load.loadavg1))),
      });
    }
  }
  return lines;
}

export function fmt(value: number | null | undefined, unit = ""): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  if (unit === "ms") return value < 10 ? value.toFixed(2) : value.toFixed(1);
  if (Math.abs(value) >= 100_000) return `${(value / 1000).toFixed(0)}k`;
  if (Math.abs(value) >= 10_000) return `${(value / 1000).toFixed(1)}k`;
  if (Number.isInteger(value)) return String(value);
  return value.toFixed(1);
}

function ratioText(line: SummaryLine): string {
  if (line.ratio === null) return line.target === line.baseline ? "1 (baseline)" : "–";
  return `${line.ratio.toFixed(2)} (${line.repRatios.map((r) => (Number.isFinite(r) ? r.toFixed(2) : "–")).join(" ")})`;
}

function barText(line: SummaryLine): string {
  if (!line.bar) return "";
  return `${line.bar.op} ${line.bar.limit} ${line.bar.met ? "met" : "NOT MET"}`;
}

function integrityText(line: SummaryLine): string {
  const i = line.integrity;
  if (line.workload.startsWith("W3") || PRIMARY[line.workload].from) return "";
  if (line.workload === "W5") return i.errors ? `${i.errors} errors` : "0 errors";
  return `${i.lost}/${i.reordered}/${i.duplicated}`;
}

export interface NotRun {
  target: TargetId;
  label: string;
  reason: string;
}

/** The text table printed at the end of a run. */
export function textTable(lines: SummaryLine[], notRun: NotRun[]): string {
  const header = ["workload", "target", "figure", "reps", "median", "ratio", "bar", "lost/reord/dup", "server CPU%", "clients CPU%", "other CPU%"];
  const body = lines.map((l) => [
    l.workload,
    l.target,
    `${PRIMARY[l.workload].label} (${l.unit})`,
    l.reps.map((v) => fmt(v, l.unit)).join(" "),
    fmt(l.median, l.unit),
    ratioText(l),
    barText(l),
    integrityText(l),
    fmt(l.serverCpuPercent),
    l.clientCpuPercent.map((v) => fmt(v)).join("+"),
    fmt(l.otherCpuPercentMax),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const row = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ");
  const out = [row(header), row(widths.map((w) => "-".repeat(w))), ...body.map(row)];
  for (const n of notRun) out.push(`${n.target}: ${n.reason}`);
  return out.join("\n");
}

/** The Markdown table written into docs/BENCHMARKS.md. */
export function markdownTable(lines: SummaryLine[], notRun: NotRun[]): string {
  const out = [
    "| workload | target | figure | each repetition | median | vs baseline | bar | lost / reordered / duplicated | other figures (medians) | server CPU % | client processes CPU % |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const l of lines) {
    const secondary = Object.entries(l.secondary)
      .map(([k, v]) => `${k} ${fmt(v, /^p\d|max|connectP|resumeP|restartMs/.test(k) ? "ms" : "")}`)
      .join(", ");
    out.push(
      `| ${l.workload} | ${l.label} | ${PRIMARY[l.workload].label} (${l.unit}) | ${l.reps.map((v) => fmt(v, l.unit)).join(" · ")} | **${fmt(l.median, l.unit)}** | ${ratioText(l)} | ${barText(l).replace("NOT MET", "**not met**")} | ${integrityText(l)} | ${secondary} | ${fmt(l.serverCpuPercent)} | ${l.clientCpuPercent.map((v) => fmt(v)).join(" + ")} |`,
    );
  }
  for (const n of notRun) out.push(`| all | ${n.label} | **${n.reason}** | | | | | | | | |`);
  return out.join("\n");
}

/** One line per target and bar: the figures the issue asks to reach. */
export function barsMarkdown(lines: SummaryLine[], targets: readonly Target[], notRun: NotRun[]): string {
  const kinds: Array<[keyof Bars, string]> = [
    ["throughput", "W1/W2 delivered/s"],
    ["p50", "W1 p50"],
    ["p99", "W1 p99"],
    ["memory", "W3 idle memory/conn, as shipped"],
    ["connect", "connections/s (W3 opening, W5 churn)"],
    ["storm", "W6 reconnect storm, restart until all back"],
  ];
  const out = [
    `| target | ${kinds.map(([, label]) => `${label} vs baseline`).join(" | ")} | lost/reordered/duplicated (all workloads) |`,
    `|---|${kinds.map(() => "---|").join("")}---|`,
  ];
  for (const target of targets) {
    if (!target.bars) continue;
    const skipped = notRun.find((n) => n.target === target.id);
    if (skipped) {
      out.push(`| ${target.label} | ${kinds.map(() => "not yet run").join(" | ")} | not yet run |`);
      continue;
    }
    const mine = lines.filter((l) => l.target === target.id);
    const cell = (kind: keyof Bars) => {
      const relevant = mine.filter((l) => l.bar?.kind === kind);
      // W6 restarts a Node server; on workerd there is no such restart, hence no bar.
      if (target.bars![kind] === undefined) return "Node only";
      if (relevant.length === 0) return "not run";
      return relevant
        .map((l) => `${l.workload} ${l.ratio === null ? "no reading" : l.ratio.toFixed(2)} ${l.bar!.op} ${l.bar!.limit} ${l.bar!.met ? "✓" : "✗"}`)
        .join("; ");
    };
    // Derived lines read the same rows as their workload's: count each row's integrity once.
    const bad = mine.filter((l) => !PRIMARY[l.workload].from).reduce((n, l) => n + l.integrity.lost + l.integrity.reordered + l.integrity.duplicated, 0);
    out.push(`| ${target.label} | ${kinds.map(([kind]) => cell(kind)).join(" | ")} | ${bad === 0 ? "0 ✓" : `${bad} ✗`} |`);
  }
  return out.join("\n");
}
