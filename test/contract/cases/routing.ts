import { describe, expect, it } from "vitest";
import { TestClient } from "../../support/client.ts";
import { type SuiteContext } from "../context.ts";

export function routingCases(ctx: SuiteContext): void {
  describe("routing", () => {
    it("answers a plain GET on a socket route with 426", async () => {
      for (const path of ["/ws", "/rooms/lobby/ws"]) {
        const response = await fetch(ctx.rt.url + path);
        expect(response.status).toBe(426);
        expect(await response.text()).toBe("Expected a WebSocket upgrade request.");
      }
    });

    it("refuses bad room names with 400 before any room exists", async () => {
      for (const bad of ["a%2Fb", "%20", "x".repeat(129), "caf%C3%A9", "a%00b"]) {
        const refusal = await TestClient.refusal(ctx.rt.url, `/rooms/${bad}/ws`);
        expect(refusal.status, bad).toBe(400);
        expect(refusal.body).toMatch(/room name/i);
      }
      const ok = await TestClient.open(ctx.rt.url, `/rooms/${"x".repeat(128)}/ws`);
      ok.close();
    });

    it("serves the chat page at /", async () => {
      const response = await fetch(ctx.rt.url + "/");
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/text\/html/);
      expect(await response.text()).toMatch(/<html/);
    });
  });
}
