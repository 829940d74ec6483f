// The lifecycle log at `info`: one line per event, with room type and name, written by the code both
// runtimes share — captured from the real server (Node) and from workerd's own console output.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setLogLevel } from "roomkit";
import type { RunningRuntime } from "roomkit/testing";
import { TestClient } from "../../support/client.ts";
import { roomName, type SuiteContext } from "../context.ts";

export function logsCases(ctx: SuiteContext): void {
  describe("lifecycle log lines (ROOMKIT_LOG=info)", () => {
    const lines: string[] = [];
    let rt: RunningRuntime;
    beforeAll(async () => {
      rt = await ctx.handle.start({ env: { ROOMKIT_LOG: "info" }, onLog: (line) => lines.push(line) });
    });
    afterAll(async () => {
      await rt?.stop();
      // Node's level is per process: the rest of the suite runs quiet again.
      setLogLevel("silent");
    });

    const about = (name: string) => lines.filter((line) => line.includes(`room probe ${JSON.stringify(name)}`));
    /** workerd's console reaches the test through its stdout pipe: wait for the line, then count. */
    async function line(name: string, event: string, count = 1): Promise<string[]> {
      const deadline = Date.now() + 5000;
      const matching = () => about(name).filter((text) => text.includes(`: ${event}`));
      while (matching().length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
      // A little longer: a duplicate line would arrive now.
      await new Promise((resolve) => setTimeout(resolve, 100));
      return matching();
    }

    it("logs connect, close with its code, wake and alarm once each, with type and name", async () => {
      const name = roomName("log");
      const a = await TestClient.open(rt.url, `/probe/${name}/ws`);
      a.send({ cmd: "whoami" });
      const { id } = await a.nextMatching((frame) => frame.re === "whoami");
      expect(await line(name, "wake")).toEqual([`[roomkit] room probe "${name}": wake (0 connections)`]);
      expect(await line(name, "connect")).toEqual([`[roomkit] room probe "${name}": connect ${id} (1 connection)`]);
      a.send({ cmd: "alarm.set", inMs: 200 });
      await a.nextMatching((frame) => frame.type === "alarm", 10_000);
      expect(await line(name, "alarm")).toEqual([`[roomkit] room probe "${name}": alarm`]);
      a.close(4000, "bye");
      await a.closed;
      expect(await line(name, "close")).toEqual([`[roomkit] room probe "${name}": close ${id} code 4000 (0 connections left)`]);
    });

    it("logs a hibernation (where the runtime can see it) and the wake that follows", async () => {
      const name = roomName("log-hib");
      const a = await TestClient.open(rt.url, `/probe/${name}/ws`);
      a.send({ cmd: "whoami" });
      await a.nextMatching((frame) => frame.re === "whoami");
      expect(await rt.hibernate("probe", name)).toBe(true);
      a.send({ cmd: "whoami" });
      await a.nextMatching((frame) => frame.re === "whoami");
      expect(await line(name, "wake", 2)).toEqual([`[roomkit] room probe "${name}": wake (0 connections)`, `[roomkit] room probe "${name}": wake (1 connection)`]);
      const hibernated = await line(name, "hibernate", rt.capabilities.logsHibernation ? 1 : 0);
      expect(hibernated).toEqual(rt.capabilities.logsHibernation ? [`[roomkit] room probe "${name}": hibernate (1 connection)`] : []);
      a.close();
    });

    it("logs each refused upgrade with its status, and a fault with the room type", async () => {
      const name = roomName("log-refused");
      expect((await TestClient.refusal(rt.url, `/probe/${name}/ws`, { origin: "https://evil.example" })).status).toBe(403);
      expect((await fetch(`${rt.url}/probe/${name}/ws`)).status).toBe(426);
      expect(await line(name, "refused upgrade", 2)).toEqual([`[roomkit] room probe "${name}": refused upgrade 403`, `[roomkit] room probe "${name}": refused upgrade 426`]);
      // A name that is refused is still quoted and escaped: it cannot start a line of its own.
      expect((await TestClient.refusal(rt.url, `/probe/${name}%0Aforged/ws`)).status).toBe(400);
      expect(await line(`${name}\nforged`, "refused upgrade")).toEqual([`[roomkit] room probe "${name}\\nforged": refused upgrade 400`]);
      expect(lines.some((text) => text.startsWith("forged"))).toBe(false);
      const a = await TestClient.open(rt.url, `/probe/${name}/ws`);
      a.send({ cmd: "throw" });
      await a.closed;
      const faults = await line(name, "fault");
      expect(faults).toHaveLength(1);
      expect(faults[0]).toMatch(new RegExp(`^\\[roomkit\\] room probe "${name}" connection \\S+: fault: Error: onMessage failed on purpose`));
    });
  });
}
