// roomkit's Cloudflare runtime as a bench target: the bench app bundled with esbuild (as the
// contract suite does) and served by Miniflare's workerd with SQLite-backed Durable Objects, with
// the compatibility date and flags of wrangler.toml. Rate limit off; roomkit's own log quiet.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { bundleWorker, wranglerCompatibility } from "../../test/runtimes/workerd-bundle.ts";
import type { Miniflare } from "miniflare";

type Options = ConstructorParameters<typeof Miniflare>[0];

const root = fileURLToPath(new URL("../../", import.meta.url));

// The Worker entry, generated so that no file under bench/ (typechecked with Node's types) imports
// code written against the Workers types: createWorker with its default options, as shipped, plus
// the bench's garbage-collection route (bench/targets/workerd-gc.js), which the baseline has too.
const ENTRY = `
import { createWorker } from ${JSON.stringify(join(root, "runtime-cloudflare/create-worker.ts"))};
import { benchApp } from ${JSON.stringify(join(root, "bench/targets/app.ts"))};
import { withBenchGc } from ${JSON.stringify(join(root, "bench/targets/workerd-gc.js"))};
const { worker, objects } = createWorker(benchApp, { bare: "BARE_ROOM", chat: "CHAT_ROOM" });
export default withBenchGc(worker);
export const BareRoom = objects.bare;
export const ChatRoom = objects.chat;
`;

export async function roomkitWorkerOptions(): Promise<Options> {
  const dir = mkdtempSync(join(tmpdir(), "roomkit-bench-workerd-"));
  const scriptPath = join(dir, "worker.js");
  await bundleWorker(ENTRY, root, scriptPath);
  return {
    modules: true,
    scriptPath,
    modulesRoot: dir,
    ...wranglerCompatibility(),
    durableObjects: {
      BARE_ROOM: { className: "BareRoom", useSQLite: true },
      CHAT_ROOM: { className: "ChatRoom", useSQLite: true },
    },
    bindings: { ROOMKIT_RATE_LIMIT: "off", ROOMKIT_LOG: "error" },
  };
}
