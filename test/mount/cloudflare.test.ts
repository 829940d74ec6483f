// Rooms mounted under a base path in a user's own Hono Worker, on a real workerd.
import { fileURLToPath } from "node:url";
import { workerdRuntime, type RunningRuntime } from "roomkit/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestClient } from "../support/client.ts";

let rt: RunningRuntime;
let url: string;

beforeAll(async () => {
  rt = await workerdRuntime({ config: fileURLToPath(new URL("./wrangler.toml", import.meta.url)) });
  url = rt.url;
});
afterAll(async () => {
  await rt?.stop();
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
    // The harness finds the room's class behind the user's Hono default export, and evicts it for real.
    expect(await rt.hibernate("probe", "mounted-1")).toBe(true);
    client.send({ cmd: "whoami" });
    expect((await client.nextMatching((frame: any) => frame.re === "whoami")).state).toEqual({ user: "ann" });
    client.close();
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

describe("mounted, with a ROOMKIT_LOG that is not a level (workerd)", () => {
  it("refuses the room routes with 500 and the reason; the app's own routes keep working", async () => {
    const bad = await workerdRuntime({ config: fileURLToPath(new URL("./wrangler.toml", import.meta.url)), env: { ROOMKIT_LOG: "debug" } });
    try {
      const refusal = await TestClient.refusal(bad.url, "/realtime/probe/misconfigured/ws?token=let-me-in");
      expect(refusal).toMatchObject({ status: 500, body: expect.stringContaining("ROOMKIT_LOG must be one of") });
      expect(await (await fetch(`${bad.url}/api/health`)).json()).toEqual({ ok: true });
    } finally {
      await bad.stop();
    }
  });
});
