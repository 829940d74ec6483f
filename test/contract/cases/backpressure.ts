import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestClient } from "../../support/client.ts";
import type { RunningRuntime } from "roomkit/testing";
import { roomName, type SuiteContext } from "../context.ts";

export function backpressureCases(ctx: SuiteContext): void {
  // workerd buffers outgoing frames itself and gives the object no way to see a socket's backlog.
  describe.skipIf(!ctx.handle.capabilities.slowConsumerClose)("slow consumers (capability: slowConsumerClose)", () => {
    let rt: RunningRuntime;
    beforeAll(async () => {
      rt = await ctx.handle.start({ env: { ROOMKIT_RATE_LIMIT: "off", ROOMKIT_MAX_BUFFERED_BYTES: String(256 * 1024) } });
    });
    afterAll(async () => {
      await rt?.stop();
    });

    it("closes a client that stops reading with 1013; the rest of the room carries on", async () => {
      const name = roomName("slow");
      const slow = await TestClient.open(rt.url, `/probe/${name}/ws`);
      const sender = await TestClient.open(rt.url, `/probe/${name}/ws`);
      const watcher = await TestClient.open(rt.url, `/probe/${name}/ws`);
      slow.send({ cmd: "whoami" });
      const { id } = await slow.next();
      // Stop reading: the server's writes back up into its own buffer for this socket.
      slow.pauseReading();
      const chunk = "x".repeat(200_000);
      let closed: any;
      for (let i = 0; i < 200 && !closed; i++) {
        sender.send({ cmd: "broadcast", data: chunk });
        await sender.nextMatching((f) => f.re === "broadcast");
        closed = watcher.pendingJson().find((f) => f.type === "closed");
      }
      closed ??= await watcher.nextMatching((f) => f.type === "closed");
      expect(closed).toMatchObject({ id, code: 1013, remaining: 2 });
      sender.send({ cmd: "stats" });
      expect((await sender.nextMatching((f) => f.re === "stats")).connections).toBe(2);
      for (const client of [slow, sender, watcher]) client.close();
    });
  });
}
