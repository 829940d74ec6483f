// roomkit/testing's own promises: configs read by wrangler, failed waits that say what they waited
// for, and clear errors for a room type the Worker does not export.
import { fileURLToPath } from "node:url";
import { unstable_readConfig } from "wrangler";
import { describe, expect, it } from "vitest";
import { openSocket } from "roomkit/testing";
import { nodeFixture, workerdFixture } from "../runtimes/fixture.ts";

const config = (path: string) => unstable_readConfig({ config: fileURLToPath(new URL(path, import.meta.url)) });

describe("the suites' Worker configs", () => {
  it("use the compatibility date and flags of the repo's wrangler.toml, so tests run what is deployed", () => {
    const deployed = config("../../wrangler.toml");
    for (const path of ["../runtimes/wrangler.toml", "../mount/wrangler.toml"]) {
      const tested = config(path);
      expect({ path, date: tested.compatibility_date, flags: tested.compatibility_flags }).toEqual({
        path,
        date: deployed.compatibility_date,
        flags: deployed.compatibility_flags,
      });
    }
  });
});

describe("TestSocket", () => {
  it("fails a bounded wait naming what it waited for and the frames it skipped", async () => {
    const rt = await nodeFixture.start();
    try {
      const socket = await openSocket(`${rt.url}/probe/harness-wait/ws`);
      socket.send({ cmd: "whoami" });
      await expect(socket.nextMatching((frame) => frame.re === "never", { timeoutMs: 300, expected: "a reply to never" })).rejects.toThrow(
        /timed out waiting for a reply to never within 300 ms; skipped 1: \{"re":"whoami"/,
      );
      socket.close();
      const closed = await socket.closed;
      expect(closed.code).toBe(1005);
      await expect(socket.next(1000)).rejects.toThrow(/closed \(1005 \) while waiting for a text frame within 1000 ms/);
    } finally {
      await rt.stop();
    }
  });
});

describe("workerdRuntime", () => {
  it("refuses to hibernate a room type its Worker does not export, naming the types it does", async () => {
    const rt = await workerdFixture.start();
    try {
      await expect(rt.hibernate("nope", "x")).rejects.toThrow(/no Durable Object class of .*worker\.ts serves room type "nope" \(types exported: chat, fragile, leaky, poll, probe\)/);
      expect(await rt.hibernate("probe", "never-visited")).toBe(false);
    } finally {
      await rt.stop();
    }
  });
});
