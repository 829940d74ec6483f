// The launcher for everything the bench runs on workerd: Miniflare (pinned in devDependencies) run
// programmatically on Node 20, listening on loopback. The same launcher starts the hand-written
// Durable Object baseline and roomkit's Cloudflare runtime, so both pay the same local-dev costs.
// The sockets live in the workerd child process, so that is the pid reported for CPU and memory.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import { childPids } from "../lib/proc.ts";
import { serveBenchControl } from "../lib/server-control.ts";

import { wranglerCompatibility } from "../../test/runtimes/workerd-bundle.ts";
import { roomkitWorkerOptions } from "./cloudflare.ts";

const which = process.argv[2] ?? "baseline";
const host = process.env.BENCH_HOST ?? "127.0.0.1";

async function options(): Promise<ConstructorParameters<typeof Miniflare>[0]> {
  if (which === "baseline" || which === "stored-baseline") {
    const path = fileURLToPath(new URL("../baselines/raw-do.js", import.meta.url));
    const gcPath = fileURLToPath(new URL("./workerd-gc.js", import.meta.url));
    // The baseline as written, behind the same garbage-collection route as roomkit's entry.
    const entry = `import baseline from "./raw-do.js";\nimport { withBenchGc } from "./workerd-gc.js";\nexport { RawRoom } from "./raw-do.js";\nexport default withBenchGc(baseline);\n`;
    const dir = fileURLToPath(new URL("./", import.meta.url));
    return {
      modulesRoot: dir,
      modules: [
        { type: "ESModule", path: `${dir}baseline-entry.js`, contents: entry },
        { type: "ESModule", path: `${dir}raw-do.js`, contents: readFileSync(path, "utf8") },
        { type: "ESModule", path: gcPath, contents: readFileSync(gcPath, "utf8") },
      ],
      // The same date and flags as roomkit's Cloudflare targets (wrangler.toml).
      ...wranglerCompatibility(),
      durableObjects: { RAW_ROOM: { className: "RawRoom", useSQLite: true } },
      bindings: { STORE: which === "stored-baseline" ? "1" : "0" },
    };
  }
  return roomkitWorkerOptions();
}

// workerd's default V8 flags, as `wrangler dev` runs it; the tuned W3 alone sets its own (gc() for
// the bench's collection route, bench/targets/workerd-gc.js, and a fixed young generation).
if (process.env.BENCH_WORKERD_V8_FLAGS) process.env.MINIFLARE_WORKERD_V8_FLAGS = process.env.BENCH_WORKERD_V8_FLAGS;
const mf = new Miniflare({ ...(await options()), host, port: 0 });
const url = await mf.ready;
const workerd = childPids(process.pid, "workerd")[0] ?? process.pid;
const collect = async () => {
  const response = await fetch(new URL("/__bench/gc", url)); // the route of workerd-gc.js
  if (!response.ok) throw new Error(`workerd: ${response.status} ${await response.text()}`);
};
serveBenchControl(url.origin, workerd, () => mf.dispose(), collect);
