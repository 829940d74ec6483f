import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestClient } from "../../support/client.ts";
import type { RunningRuntime } from "roomkit/testing";
import { roomName, type SuiteContext } from "../context.ts";

// Raw upgrade requests with the Host and Origin a browser would send from the page named.
export function originCases(ctx: SuiteContext): void {
  describe("origin check", () => {
    const path = () => `/rooms/${roomName("origin")}/ws`;
    const port = () => new URL(ctx.rt.url).port;
    const refused = async (url: string, headers: Record<string, string>) => {
      const refusal = await TestClient.refusal(url, path(), headers);
      expect(refusal.status, JSON.stringify(headers)).toBe(403);
      expect(refusal.body).toContain(headers.Origin);
    };

    it("without publicOrigins: accepts the request's own origin on an IP or localhost host", async () => {
      (await TestClient.open(ctx.rt.url, path(), { Origin: ctx.rt.url })).close();
      (await TestClient.open(ctx.rt.url, path(), { Host: `localhost:${port()}`, Origin: `http://localhost:${port()}` })).close();
      // Default ports and case are normalised as RFC 6454 serializes origins.
      (await TestClient.open(ctx.rt.url, path(), { Host: `LocalHost:${port()}`, Origin: `http://localhost:${port()}` })).close();
      // Not a browser: no Origin, not refused on that ground.
      (await TestClient.open(ctx.rt.url, path())).close();
    });

    it("refuses Origin null, another scheme or port, and a foreign site", async () => {
      await refused(ctx.rt.url, { Origin: "null" });
      await refused(ctx.rt.url, { Origin: `https://127.0.0.1:${port()}` });
      await refused(ctx.rt.url, { Origin: `ftp://127.0.0.1:${port()}` });
      await refused(ctx.rt.url, { Origin: `http://127.0.0.1:${Number(port()) === 1 ? 2 : Number(port()) - 1}` });
      await refused(ctx.rt.url, { Origin: "http://127.0.0.1" });
      await refused(ctx.rt.url, { Origin: "https://evil.example" });
      await refused(ctx.rt.url, { Origin: `http://127.0.0.1:${port()}/path` });
    });

    it("refuses a DNS-rebinding page: a DNS name in Host matching its Origin is not trusted unless configured", async () => {
      await refused(ctx.rt.url, { Host: `evil.example:${port()}`, Origin: `http://evil.example:${port()}` });
      await refused(ctx.rt.url, { Host: "evil.example", Origin: "http://evil.example" });
      await refused(ctx.rt.url, { Host: `localhost.evil.example:${port()}`, Origin: `http://localhost.evil.example:${port()}` });
    });

    describe("with publicOrigins", () => {
      let configured: RunningRuntime;
      beforeAll(async () => {
        configured = await ctx.handle.start({ env: { ROOMKIT_PUBLIC_ORIGIN: "https://chat.example, https://www.chat.example:8443" } });
      });
      afterAll(async () => {
        await configured?.stop();
      });

      it("accepts exactly the configured origins (scheme, host and port), whatever the Host", async () => {
        const at = (headers: Record<string, string>) => TestClient.open(configured.url, path(), headers);
        (await at({ Origin: "https://chat.example" })).close();
        (await at({ Origin: "https://chat.example:443" })).close();
        (await at({ Host: "chat.example", Origin: "https://CHAT.example" })).close();
        (await at({ Origin: "https://www.chat.example:8443" })).close();
        (await at({})).close();
        await refused(configured.url, { Origin: "http://chat.example" });
        await refused(configured.url, { Origin: "https://chat.example:8443" });
        await refused(configured.url, { Origin: "https://www.chat.example" });
        await refused(configured.url, { Origin: "wss://chat.example" });
        await refused(configured.url, { Origin: "null" });
      });

      it("no longer believes the Host, not even an IP or localhost one", async () => {
        const own = new URL(configured.url);
        await refused(configured.url, { Origin: own.origin });
        await refused(configured.url, { Host: `localhost:${own.port}`, Origin: `http://localhost:${own.port}` });
        await refused(configured.url, { Host: `evil.example:${own.port}`, Origin: `http://evil.example:${own.port}` });
      });
    });
  });
}
