// nodeRuntime: an app served by roomkit/node in this process, on a free port and a temporary data
// directory that stop() removes. roomkit/node (and its peers ws, better-sqlite3, @hono/node-server)
// is loaded on first call, so a Worker project's suite that only uses workerdRuntime needs none of them.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RoomkitApp } from "../src/router.ts";
import type { NodeServerOptions, RoomServer } from "../runtime-node/server.ts";
import { NODE_CAPABILITIES, type RunningRuntime } from "./handle.ts";

export type NodeRuntimeOptions = Omit<NodeServerOptions, "port" | "host" | "dataDir"> & {
  /** Default: a new temporary directory, removed by stop(). */
  dataDir?: string;
  /**
   * Receives each line roomkit writes (besides the console). roomkit's log is per process: with
   * several servers in one process, each one's `onLog` sees them all.
   */
  onLog?: (line: string) => void;
};

const DEFAULT_IDLE_MS = 10_000;

export async function nodeRuntime(app: RoomkitApp, options: NodeRuntimeOptions = {}): Promise<RunningRuntime> {
  const { serveRooms } = await import("../runtime-node/server.ts");
  const { onLogLine } = await import("../src/log.ts");
  const { onLog, ...serverOptions } = options;
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "roomkit-node-"));
  const serve = (port: number) =>
    // The rooms' env is exactly `env` (not process.env), as on workerd where it is the [vars].
    serveRooms(app, { ...serverOptions, env: { ROOMKIT_LOG: "warn", ...options.env }, dataDir, port, host: "127.0.0.1" });
  const stopLogging = onLog ? onLogLine((_level, line) => onLog(line)) : () => {};
  let server: RoomServer;
  try {
    server = await serve(0);
  } catch (error) {
    stopLogging();
    if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const port = Number(new URL(server.url).port);
  return {
    name: "node",
    url: server.url,
    capabilities: NODE_CAPABILITIES,
    idleMs: options.hibernateAfterMs ?? DEFAULT_IDLE_MS,
    async hibernate(type, name) {
      return server.hibernate(type, name) > 0;
    },
    async restart({ downtimeMs = 0 } = {}) {
      await server.close();
      await new Promise((resolve) => setTimeout(resolve, downtimeMs));
      server = await serve(port);
    },
    async stop() {
      await server.close();
      stopLogging();
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
