// workerdRuntime: the user's own Worker entry under a real workerd (miniflare), with the Durable
// Object bindings, migrations, vars and compatibility settings wrangler itself reads from their
// config. miniflare, wrangler and esbuild are loaded on first use, so nodeRuntime needs none.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { WORKERD_CAPABILITIES, type RunningRuntime } from "./handle.ts";
import { loadWorkerdPeers } from "./peers.ts";
import { ROOM_CLASSES_PATH, wrapperSource } from "./workerd-entry.ts";

export interface WorkerdRuntimeOptions {
  /** wrangler.toml / wrangler.json(c). Default: `./wrangler.toml`. */
  config?: string;
  /** The Worker entry. Default: `main` of the config. */
  main?: string;
  /** The config's environment (`[env.<name>]`), as `wrangler --env`. */
  environment?: string;
  /** More vars for this instance, over the config's `[vars]` (ROOMKIT_* limits, secrets). */
  env?: Record<string, string>;
  /**
   * Receives each line the Worker writes to its console (roomkit's `[roomkit] …` lines among them)
   * instead of the terminal. Set `env: { ROOMKIT_LOG: "info" }` for the lifecycle lines.
   */
  onLog?: (line: string) => void;
}

/** workerd evicts an object by itself after about this long without events. */
const WORKERD_IDLE_MS = 10_000;

export async function workerdRuntime(options: WorkerdRuntimeOptions = {}): Promise<RunningRuntime> {
  const { Miniflare, esbuild, wrangler } = await loadWorkerdPeers();
  const configPath = resolve(options.config ?? "wrangler.toml");
  const config = wrangler.unstable_readConfig({ config: configPath, env: options.environment });
  const { workerOptions, define, main: configMain } = wrangler.unstable_getMiniflareWorkerOptions(config, options.environment);
  const main = options.main ? resolve(options.main) : configMain;
  if (!main) throw new Error(`roomkit/testing: no Worker entry: pass { main } or set main in ${configPath}`);

  const dir = mkdtempSync(join(tmpdir(), "roomkit-workerd-"));
  const scriptPath = join(dir, "worker.js");
  const cleanUp = () => rmSync(dir, { recursive: true, force: true });
  let mf: InstanceType<typeof Miniflare> | undefined;
  try {
    // As wrangler bundles: ESM for workerd's conditions, its define and alias, cloudflare:* (and
    // node:*, for nodejs_compat) left to the runtime.
    await esbuild.build({
      stdin: { contents: wrapperSource(main), resolveDir: dirname(main), sourcefile: "roomkit-testing-entry.js", loader: "js" },
      bundle: true,
      format: "esm",
      platform: "neutral",
      target: "es2022",
      mainFields: ["module", "main"],
      conditions: ["workerd", "worker", "browser"],
      external: ["cloudflare:*", "node:*"],
      define,
      alias: config.alias,
      absWorkingDir: dirname(configPath),
      outfile: scriptPath,
      logLevel: "error",
    });
    mf = new Miniflare({
      ...workerOptions,
      modules: true,
      scriptPath,
      modulesRoot: dir,
      bindings: { ROOMKIT_LOG: "warn", ...workerOptions.bindings, ...options.env },
      host: "127.0.0.1",
      port: 0,
      ...(options.onLog ? logHandler(options.onLog) : {}),
    });
    const url = await mf.ready;
    const classes = (await (await mf.dispatchFetch(new URL(ROOM_CLASSES_PATH, url))).json()) as Record<string, string>;
    const running = mf;
    return {
      name: "workerd",
      url: url.origin,
      capabilities: WORKERD_CAPABILITIES,
      idleMs: WORKERD_IDLE_MS,
      async hibernate(type, name) {
        const className = classes[type];
        if (!className) {
          const known = Object.keys(classes).join(", ") || "none";
          throw new Error(`roomkit/testing: no Durable Object class of ${main} serves room type "${type}" (types exported: ${known})`);
        }
        try {
          await running.unsafeEvictDurableObject(workerOptions.name ?? "", className, { name, webSockets: "hibernate" });
          return true;
        } catch (error) {
          // workerd refuses to evict an object that is not running: there is nothing to drop.
          if (/not currently running/i.test(String((error as Error).message))) return false;
          throw error;
        }
      },
      async stop() {
        await running.dispose();
        cleanUp();
      },
    };
  } catch (error) {
    await mf?.dispose().catch(() => {});
    cleanUp();
    throw error;
  }
}

/** workerd's console output, one structured record per line, handed over without the terminal. */
function logHandler(onLog: (line: string) => void) {
  return {
    structuredWorkerdLogs: true,
    handleStructuredLogs: ({ message }: { message: string }) => {
      for (const line of message.split("\n")) if (line !== "") onLog(line);
    },
  };
}
