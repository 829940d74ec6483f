// Node only: with maxConnectionsTotal "auto", a server under a small descriptor limit refuses
// sockets with 503 while it still has descriptors to answer with, instead of failing on EMFILE.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startNodeProcess, type NodeProcess } from "../runtimes/node-process.ts";
import { TestClient, type TestClient as Client } from "../support/client.ts";

const dataDir = mkdtempSync(join(tmpdir(), "roomkit-descriptors-"));
let server: NodeProcess | undefined;
afterAll(async () => {
  await server?.kill();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("connections under the descriptor limit (Node, prlimit)", () => {
  it("caps the sockets at half of 256 descriptors less 32 (96) with 503, and serves again once some leave", async () => {
    server = await startNodeProcess(dataDir, { wrapper: ["prlimit", "--nofile=256:256"] });
    const held: Client[] = [];
    // From several addresses, so that the per-address limit is not what refuses.
    for (let i = 0; i < 96; i++) held.push(await TestClient.open(server.url, "/rooms/crowd/ws", undefined, `127.0.1.${1 + (i % 8)}`));
    const refused = await TestClient.refusal(server.url, "/rooms/other/ws", undefined, "127.0.2.1");
    expect(refused.status).toBe(503);
    expect(refused.body).toBe("The server is at its connection limit (96); try again later.");
    // The room's people still talk.
    held[0]!.send({ user: "a", message: "hello" });
    expect(await held[1]!.next()).toMatchObject({ user: "a", message: "hello" });
    for (const client of held.splice(0, 10)) client.close();
    await expect.poll(() => TestClient.open(server!.url, "/rooms/other/ws", undefined, "127.0.2.1").then((c) => (c.close(), true), () => false)).toBe(true);
    for (const client of held) client.close();
  });
});
