// The Node runtime under test: the fixture app served in this process on a free port.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serveRooms } from "../../runtime-node/server.ts";
import { fixtureApp } from "../fixtures/app.ts";
import type { RuntimeHandle } from "./handle.ts";

export const nodeRuntime: RuntimeHandle = {
  name: "node",
  capabilities: { restart: true, slowConsumerClose: true },
  async start(options = {}) {
    const dataDir = mkdtempSync(join(tmpdir(), "roomkit-node-"));
    const serve = (port: number) =>
      serveRooms(fixtureApp, {
        port,
        dataDir,
        env: { ROOMKIT_LOG: "silent", ...options.env },
        hibernateAfterMs: idleMs,
      });
    const idleMs = options.hibernateAfterMs ?? 10_000;
    let server = await serve(0);
    const port = Number(new URL(server.url).port);
    return {
      url: server.url,
      idleMs,
      async hibernate(type, name) {
        return server.hibernate(type, name) === 1;
      },
      async restart({ downtimeMs = 0 } = {}) {
        await server.close();
        await new Promise((resolve) => setTimeout(resolve, downtimeMs));
        server = await serve(port);
      },
      async stop() {
        await server.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  },
};
