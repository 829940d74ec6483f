// Rooms mounted under a base path in a user's own Hono Worker, on a real workerd.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestClient } from "../support/client.ts";
import { bundleWorker, wranglerCompatibility } from "../runtimes/workerd-bundle.ts";

const here = dirname(fileURLToPath(import.meta.url));
let mf: Miniflare;
let url: string;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "roomkit-mount-"));
  const script = await bundleWorker(`export * from ${JSON.stringify(join(here, "user-worker.ts"))}; export { default } from ${JSON.stringify(join(here, "user-worker.ts"))};`, here, join(dir, "worker.js"));
  mf = new Miniflare({
    modules: true,
    scriptPath: script,
    modulesRoot: dir,
    ...wranglerCompatibility(),
    durableObjects: { ROOM_PROBE: { className: "Room_probe", useSQLite: true }, ROOM_SLOW: { className: "Room_slow", useSQLite: true } },
    bindings: { ROOMKIT_LOG: "silent" },
    host: "127.0.0.1",
    port: 0,
  });
  url = (await mf.ready).origin;
});
afterAll(async () => {
  await mf?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe("mounted in a user's Hono Worker (workerd)", () => {
  it("serves the app's own route next to the rooms", async () => {
    expect(await (await fetch(`${url}/api/health`)).json()).toEqual({ ok: true });
  });

  it("reaches a room under the base path, after the app's own middleware", async () => {
    const client = await TestClient.open(url, "/realtime/probe/mounted-1/ws?token=let-me-in");
    client.send({ cmd: "whoami" });
    const reply = await client.nextMatching((frame: any) => frame.re === "whoami");
    expect(reply.state).toEqual({ user: "ann" });
    client.ws.close();
  });

  it("refuses from the app's middleware before onBeforeConnect, and with the rooms' own bodies", async () => {
    expect((await TestClient.refusal(url, "/realtime/probe/mounted-2/ws")).status).toBe(401);
    expect(await TestClient.refusal(url, "/realtime/probe/bad%20name/ws?token=let-me-in")).toMatchObject({ status: 400, body: expect.stringContaining("Invalid room name") });
    expect((await TestClient.refusal(url, "/probe/mounted-3/ws?token=let-me-in")).status).toBe(404);
  });
});

describe("order of events with an async onConnect (workerd)", () => {
  it("answers the upgrade only once onConnect has settled, and its frames come first", async () => {
    const started = Date.now();
    const client = await TestClient.open(url, "/realtime/slow/s1/ws?token=let-me-in");
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    client.send("hi");
    expect(await client.nextText()).toBe("connected");
    expect(await client.nextText()).toBe("echo:hi");
  });
});
