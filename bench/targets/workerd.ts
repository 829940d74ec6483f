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
  if (which === "baseline") {
    const path = fileURLToPath(new URL("../baselines/raw-do.js", import.meta.url));
    return {
      modules: [{ type: "ESModule", path, contents: readFileSync(path, "utf8") }],
      // The same date and flags as roomkit's Cloudflare targets (wrangler.toml).
      ...wranglerCompatibility(),
      durableObjects: { RAW_ROOM: { className: "RawRoom", useSQLite: true } },
    };
  }
  return roomkitWorkerOptions();
}

const mf = new Miniflare({ ...(await options()), host, port: 0 });
const url = await mf.ready;
const workerd = childPids(process.pid, "workerd")[0] ?? process.pid;
serveBenchControl(url.origin, workerd, () => mf.dispose());
