// Publish a saved run as the latest one: bench/results/latest.{json,svg} and the results section of
// docs/BENCHMARKS.md, exactly as a full `npm run bench` writes them. Only a run that covered every
// workload and every target, with at least 3 repetitions and no failure, qualifies — for instance
// one that was written to partial.json only because it was given --reps 5 before that counted.
//
//   npx tsx bench/tools/publish.ts bench/results/partial-rows.json
import { readFileSync } from "node:fs";
import { publish, type BenchResults } from "../lib/publish.ts";
import { summarize } from "../lib/report.ts";
import { TARGETS } from "../lib/targets.ts";

const WORKLOADS = ["W1-latency", "W1-throughput", "W2", "W3-2000", "W3-10000", "W4", "W5"];
/** Run on Node targets only (W6 restarts the server; see bench/lib/reconnect-storm.ts). */
const NODE_WORKLOADS = ["W6"];

const file = process.argv[2];
if (!file) {
  console.error("usage: npx tsx bench/tools/publish.ts <results.json>");
  process.exit(2);
}
const results = JSON.parse(readFileSync(file, "utf8")) as BenchResults;

const problems: string[] = [];
if (results.reps < 3) problems.push(`${results.reps} repetition(s); a full run has at least 3`);
if (results.failures.length) problems.push(`${results.failures.length} failure(s): ${results.failures.join("; ")}`);
for (const target of TARGETS) {
  if (results.notRun.some((n) => n.target === target.id)) continue;
  for (const workload of [...WORKLOADS, ...(target.platform === "node" ? NODE_WORKLOADS : [])]) {
    // A reference target runs in some units only (the stored baselines: W1).
    if (target.units && !target.units.includes(workload.split("-")[0]!)) continue;
    const reps = new Set(results.rows.filter((r) => r.target === target.id && r.workload === workload).map((r) => r.rep));
    if (reps.size < results.reps) problems.push(`${target.id} ${workload}: ${reps.size} of ${results.reps} repetitions`);
  }
}
if (problems.length) {
  console.error(`not a full run, not published:\n- ${problems.join("\n- ")}`);
  process.exit(1);
}
// Summarized again from the rows, so that a run saved before a change to the summary reads as today's would.
publish({ ...results, summary: summarize(results.rows, TARGETS), partial: false }, { docs: true });
