import { describe, expect, it } from "vitest";
import { TestClient } from "../../support/client.ts";
import { roomName, type SuiteContext } from "../context.ts";

export function pollCases(ctx: SuiteContext): void {
  describe("poll (alarm-driven example room)", () => {
    it("closes the poll from onAlarm while the room hibernates, and announces the result", async () => {
      const name = roomName("poll");
      const [a, b] = [await TestClient.open(ctx.rt.url, `/polls/${name}/ws?roomkit=1`), await TestClient.open(ctx.rt.url, `/polls/${name}/ws`)];
      a.send({ type: "start", question: "Tea or coffee?", options: ["tea", "coffee"], seconds: 1.5 });
      expect(await b.next()).toMatchObject({ type: "poll", question: "Tea or coffee?", counts: [0, 0], open: true });
      a.send({ type: "vote", option: 1 });
      b.send({ type: "vote", option: 1 });
      expect(await b.nextMatching((f) => f.type === "poll" && f.counts[1] === 2)).toMatchObject({ open: true });
      a.send({ type: "vote", option: 9 });
      expect(await a.nextMatching((f) => f.type === "error")).toMatchObject({ code: "invalid_message" });
      expect(await ctx.rt.hibernate("poll", name)).toBe(true);
      const result = await b.nextMatching((f) => f.type === "result", 15_000);
      expect(result).toEqual({ type: "result", question: "Tea or coffee?", options: ["tea", "coffee"], counts: [0, 2], winners: [1] });
      const late = await TestClient.open(ctx.rt.url, `/polls/${name}/ws`);
      expect(await late.next()).toMatchObject({ type: "poll", open: false, counts: [0, 2] });
      for (const client of [a, b, late]) client.close();
    });
  });
}
