// Log configuration on both runtimes: a ROOMKIT_LOG that is not a level is refused with the levels it
// may be, and a Worker whose Durable Object binding is missing logs it as an error, not only a 500.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { refusedUpgrade, workerdRuntime, type RunningRuntime } from "roomkit/testing";
import { serveRooms } from "roomkit/node";
import { fixtureApp } from "../fixtures/app.ts";

const here = fileURLToPath(new URL(".", import.meta.url));
const LEVELS_ERROR = 'ROOMKIT_LOG must be one of silent, error, warn, info, got "debug"';

async function waitFor(lines: string[], pattern: RegExp): Promise<string[]> {
  const deadline = Date.now() + 5000;
  while (!lines.some((line) => pattern.test(line)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
  return lines.filter((line) => pattern.test(line));
}

describe("ROOMKIT_LOG", () => {
  it("refuses an unknown level on Node, naming the allowed ones", async () => {
    await expect(serveRooms(fixtureApp, { port: 0, dataDir: ":memory:", env: { ROOMKIT_LOG: "debug" } })).rejects.toThrow(LEVELS_ERROR);
  });

  it("refuses an unknown level on workerd: requests fail with 500 and the error is logged", async () => {
    const lines: string[] = [];
    const rt = await workerdRuntime({ config: join(here, "wrangler.toml"), env: { ROOMKIT_LOG: "debug" }, onLog: (line) => lines.push(line) });
    try {
      expect((await refusedUpgrade(`${rt.url}/probe/any/ws`)).status).toBe(500);
      expect(await waitFor(lines, /ROOMKIT_LOG must be one of/)).not.toEqual([]);
      expect(lines.join("\n")).toContain(LEVELS_ERROR);
    } finally {
      await rt.stop();
    }
  });
});

describe("createWorker without a room type's Durable Object binding", () => {
  let rt: RunningRuntime | undefined;
  const dir = mkdtempSync(join(tmpdir(), "roomkit-nobinding-"));
  afterAll(async () => {
    await rt?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers 500 and logs an error naming the binding and the room", async () => {
    // The fixture's own config, less the probe room's binding.
    const config = readFileSync(join(here, "wrangler.toml"), "utf8")
      .replace('main = "worker.ts"', `main = ${JSON.stringify(join(here, "worker.ts"))}`)
      .replace(/\[\[durable_objects\.bindings\]\]\nname = "PROBE_ROOM"\nclass_name = "ProbeRoom"\n/, "");
    expect(config).not.toContain("PROBE_ROOM");
    writeFileSync(join(dir, "wrangler.toml"), config);
    const lines: string[] = [];
    rt = await workerdRuntime({ config: join(dir, "wrangler.toml"), env: { ROOMKIT_LOG: "error" }, onLog: (line) => lines.push(line) });
    const refusal = await refusedUpgrade(`${rt.url}/probe/lobby/ws`);
    expect(refusal.status).toBe(500);
    expect(refusal.body).toContain("PROBE_ROOM is missing");
    expect(await waitFor(lines, /binding/)).toEqual(['[roomkit] room probe "lobby": the Durable Object binding PROBE_ROOM is missing: check wrangler.toml.']);
  });
});
