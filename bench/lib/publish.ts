// Writing a run down: its summary JSON and chart under bench/results/ (kept in git), every row of
// it beside them (`*-rows.json`, not kept: an artifact of the run), and — for a full run — the
// results section of docs/BENCHMARKS.md. Kept apart from the runner so that a saved run can be published
// again (bench/tools/publish.ts) without measuring anything.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { chartSvg } from "./chart.ts";
import type { MachineInfo } from "./proc.ts";
import { barsMarkdown, markdownTable, type NotRun, type RecordedRow, type SummaryLine } from "./report.ts";
import { TARGETS } from "./targets.ts";

export interface BenchResults {
  started: string;
  partial: boolean;
  argv: string[];
  machine: MachineInfo;
  machineLoad: { loadavg1: [number, number] };
  niceness: number | null;
  reps: number;
  notRun: NotRun[];
  failures: string[];
  summary: SummaryLine[];
  rows: RecordedRow[];
}

const RESULTS = new URL("../results/", import.meta.url);
const DOCS = new URL("../../docs/BENCHMARKS.md", import.meta.url);

/** Writes latest.* for a full run, partial.* otherwise; the docs section when asked to. */
export function publish(results: BenchResults, options: { docs: boolean }): void {
  const dir = fileURLToPath(RESULTS);
  mkdirSync(dir, { recursive: true });
  const name = results.partial ? "partial" : "latest";
  const { rows, ...summary } = results;
  writeFileSync(`${dir}${name}.json`, `${JSON.stringify(summary, null, 1)}\n`);
  writeFileSync(`${dir}${name}-rows.json`, `${JSON.stringify(results)}\n`);
  const title = `roomkit vs baselines — ${when(results)} UTC, ${results.machine.cores} cores, median of ${results.reps}`;
  writeFileSync(`${dir}${name}.svg`, chartSvg(results.summary, TARGETS, title));
  console.log(`\nwrote bench/results/${name}.json (summary), ${name}-rows.json (every row) and ${name}.svg`);
  if (options.docs) updateDocs(results, `${name}.svg`);
}

function when(results: BenchResults): string {
  return results.started.slice(0, 16).replace("T", " ");
}

function updateDocs(results: BenchResults, chart: string): void {
  const path = fileURLToPath(DOCS);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    console.log("docs/BENCHMARKS.md not found: results section not written");
    return;
  }
  const start = "<!-- bench:results:start -->";
  const end = "<!-- bench:results:end -->";
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < a) {
    console.log("docs/BENCHMARKS.md has no results markers: not written");
    return;
  }
  const m = results.machine;
  const [before, after] = results.machineLoad.loadavg1;
  const other = Math.max(...results.summary.map((l) => l.otherCpuPercentMax));
  const command = ["npm run bench", ...(results.argv.length ? ["--", ...results.argv] : [])].join(" ");
  const section = [
    start,
    `Run of ${when(results)} UTC (\`${command}\`): ${m.cores} cores (${m.cpuModel}), ${m.totalMemoryGiB} GiB, Node ${m.node}, ` +
      `median of ${results.reps} repetitions. Machine load while it ran: 1-min loadavg ${before.toFixed(2)} → ${after.toFixed(2)}; ` +
      `CPU used by processes other than the bench, its clients and the server: at most ${other.toFixed(1)} % of one core in any run` +
      (results.niceness === null ? "." : ` (the bench ran at nice ${results.niceness}).`),
    "",
    "### The bars",
    "",
    barsMarkdown(results.summary, TARGETS, results.notRun),
    "",
    "### Every figure",
    "",
    markdownTable(results.summary, results.notRun),
    "",
    `![roomkit against its baselines](../bench/results/${chart})`,
    end,
  ].join("\n");
  writeFileSync(path, text.slice(0, a) + section + text.slice(b + end.length));
  console.log("updated the results section of docs/BENCHMARKS.md");
}
