// The Cloudflare runtime under test: the fixture app bundled with esbuild and served by a real
// workerd (miniflare), one SQLite-backed Durable Object class per room type. hibernate() evicts
// the object through workerd's own eviction hook, keeping its sockets open.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import { fixtureApp } from "../fixtures/app.ts";
import { bindingFor, classFor } from "./cloudflare-names.ts";
import type { RuntimeHandle } from "./handle.ts";
import { bundleWorker, wranglerCompatibility } from "./workerd-bundle.ts";

const here = dirname(fileURLToPath(import.meta.url));

async function bundle(dir: string, types: string[]): Promise<string> {
  const worker = JSON.stringify(join(here, "cloudflare-worker.ts"));
  const entry = [
    `export { default } from ${worker};`,
    `import { objects } from ${worker};`,
    ...types.map((type) => `export const ${classFor(type)} = objects[${JSON.stringify(type)}];`),
  ].join("\n");
  return bundleWorker(entry, here, join(dir, "worker.js"));
}

export const cloudflareRuntime: RuntimeHandle = {
  name: "cloudflare",
  capabilities: { restart: false, slowConsumerClose: false },
  // options.hibernateAfterMs cannot apply: workerd's idle eviction is fixed at about 10 s.
  async start(options = {}) {
    const dir = mkdtempSync(join(tmpdir(), "roomkit-workerd-"));
    const types = Object.keys(fixtureApp.rooms);
    const mf = new Miniflare({
      modules: true,
      scriptPath: await bundle(dir, types),
      modulesRoot: dir,
      ...wranglerCompatibility(),
      durableObjects: Object.fromEntries(types.map((type) => [bindingFor(type), { className: classFor(type), useSQLite: true }])),
      bindings: { ROOMKIT_LOG: "silent", ...options.env },
      host: "127.0.0.1",
      port: 0,
    });
    let url: URL;
    try {
      url = await mf.ready;
    } catch (error) {
      await mf.dispose().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
    return {
      url: url.origin,
      idleMs: 10_000,
      async hibernate(type, name) {
        try {
          await mf.unsafeEvictDurableObject("", classFor(type), { name, webSockets: "hibernate" });
          return true;
        } catch (error) {
          if (/not currently running/i.test(String((error as Error).message))) return false;
          throw error;
        }
      },
      async stop() {
        await mf.dispose();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};
