import { describe, expect, it } from "vitest";
import { TestClient } from "../../support/client.ts";
import { roomName, type SuiteContext } from "../context.ts";

// A room that cannot start or wake (its constructor throws) fails alone, on both runtimes: a
// newcomer is refused with 503 before the 101, a socket already in it is closed with 1011, and
// every other room goes on.
export function startupCases(ctx: SuiteContext): void {
  describe("a room that cannot start or wake", () => {
    it("closes the socket whose event woke it with 1011, refuses newcomers with 503 and a body, and other rooms go on", async () => {
      const name = roomName("fragile");
      const watched = roomName("watched");
      const [w1, w2] = [await TestClient.open(ctx.rt.url, `/probe/${watched}/ws`), await TestClient.open(ctx.rt.url, `/probe/${watched}/ws`)];
      const early = await TestClient.open(ctx.rt.url, `/fragile/${name}/ws`);
      early.send("hi");
      expect(await early.nextText()).toBe("echo:hi");
      early.send("break");
      expect(await early.nextText()).toBe("broken");
      await ctx.rt.hibernate("fragile", name);

      early.send("after");
      expect(await early.closed).toEqual({ code: 1011, reason: "room could not be started" });
      expect(await TestClient.refusal(ctx.rt.url, `/fragile/${name}/ws`)).toEqual({ status: 503, body: `Room "${name}" could not be started; try again later.` });

      w1.send({ cmd: "broadcast", data: "still here" });
      expect(await w2.nextMatching((frame) => frame?.type === "broadcast", { expected: "the watcher's broadcast" })).toMatchObject({ data: "still here" });
      w1.close();
      w2.close();
    });
  });
}
