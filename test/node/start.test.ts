// `npm start` as a user runs it: the chat on PORT/HOST, the URL printed, SIGINT/SIGTERM closing
// every socket with 1001 and exiting 0.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";
import pkg from "../../package.json" with { type: "json" };
import { TestClient } from "../support/client.ts";

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The command `npm start` runs, exec'd so a signal reaches the server itself, as Ctrl-C does. */
async function start(port: number, dataDir: string) {
  const child = spawn("sh", ["-c", `exec ${pkg.scripts.start}`], {
    env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", ROOMKIT_DATA_DIR: dataDir },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const line = await new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once("line", resolve));
  return { child, exit, line };
}

describe(`npm start (${pkg.scripts.start})`, () => {
  it("shows the earlier lines after a stop and a new start on the same data directory", async () => {
    const port = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), "roomkit-start-"));
    const url = `http://127.0.0.1:${port}`;
    const first = await start(port, dataDir);
    const [a, b] = [await TestClient.open(url, "/rooms/demo/ws"), await TestClient.open(url, "/rooms/demo/ws")];
    for (const message of ["one", "two", "three"]) {
      a.send({ user: "ann", message });
      expect(await b.next()).toMatchObject({ message });
    }
    first.child.kill("SIGINT");
    expect(await first.exit).toBe(0);
    const second = await start(port, dataDir);
    const late = await TestClient.open(url, "/rooms/demo/ws");
    expect([await late.next(), await late.next(), await late.next()].map((f) => f.message)).toEqual(["one", "two", "three"]);
    late.close();
    second.child.kill("SIGTERM");
    expect(await second.exit).toBe(0);
    rmSync(dataDir, { recursive: true, force: true });
  }, 30_000);

  it("exits 1 with one line on stderr when the data directory cannot be written", async () => {
    const dir = mkdtempSync(join(tmpdir(), "roomkit-start-"));
    writeFileSync(join(dir, "a-file"), "");
    const child = spawn("sh", ["-c", `exec ${pkg.scripts.start}`], {
      env: { ...process.env, PORT: String(await freePort()), ROOMKIT_DATA_DIR: join(dir, "a-file", "data") },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    rmSync(dir, { recursive: true, force: true });
    expect(code).toBe(1);
    expect(stderr.trim().split("\n")).toEqual([expect.stringMatching(/^roomkit: \[CONFIG\] .*data directory ".*a-file\/data" is not writable \(ENOTDIR\)/)]);
  }, 30_000);

  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it(`serves the chat at the printed URL and on ${signal} closes sockets with 1001 and exits 0`, async () => {
      const port = await freePort();
      const dataDir = mkdtempSync(join(tmpdir(), "roomkit-start-"));
      const { child, exit, line } = await start(port, dataDir);
      expect(line).toContain(`http://127.0.0.1:${port}`);
      const url = `http://127.0.0.1:${port}`;
      const [a, b] = [await TestClient.open(url, "/ws"), await TestClient.open(url, "/ws")];
      a.send({ user: "ann", message: "hi" });
      expect(await b.next()).toMatchObject({ user: "ann", message: "hi" });
      child.kill(signal);
      expect((await a.closed).code).toBe(1001);
      expect((await b.closed).code).toBe(1001);
      expect(await exit).toBe(0);
      rmSync(dataDir, { recursive: true, force: true });
    }, 30_000);
  }
});
