// `npm start` as a user runs it: the chat on PORT/HOST, the URL printed, SIGINT/SIGTERM closing
// every socket with 1001 and exiting 0.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
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

describe(`npm start (${pkg.scripts.start})`, () => {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it(`serves the chat at the printed URL and on ${signal} closes sockets with 1001 and exits 0`, async () => {
      const port = await freePort();
      const dataDir = mkdtempSync(join(tmpdir(), "roomkit-start-"));
      // The command `npm start` runs, exec'd so the signal reaches the server itself, as Ctrl-C does.
      const child = spawn("sh", ["-c", `exec ${pkg.scripts.start}`], {
        env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", ROOMKIT_DATA_DIR: dataDir },
        stdio: ["ignore", "pipe", "inherit"],
      });
      const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      const line = await new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once("line", resolve));
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
