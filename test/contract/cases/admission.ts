import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestClient } from "../../support/client.ts";
import type { RunningRuntime } from "roomkit/testing";
import { roomName, type SuiteContext } from "../context.ts";

// Each test connects from its own loopback addresses (127.0.0.x), so that the per-address counts of
// one test are not another's. On Cloudflare the Worker applies such limits itself (docs/CLOUDFLARE.md).
export function admissionCases(ctx: SuiteContext): void {
  const enforced = ctx.handle.capabilities.admissionLimits;
  describe("admission limits", () => {
    let limited: RunningRuntime;
    let small: RunningRuntime;
    let unlimited: RunningRuntime;
    beforeAll(async () => {
      if (!enforced) return;
      [limited, small, unlimited] = await Promise.all([
        ctx.handle.start({ env: { ROOMKIT_MAX_CONNECTIONS_PER_ADDRESS: "3", ROOMKIT_MAX_NEW_ROOMS_PER_MINUTE: "3", ROOMKIT_CLIENT_ADDRESS_HEADER: "X-Forwarded-For" } }),
        // No per-address limit: the total is counted without looking at addresses.
        ctx.handle.start({ env: { ROOMKIT_MAX_CONNECTIONS_TOTAL: "4", ROOMKIT_MAX_CONNECTIONS_PER_ADDRESS: "off", ROOMKIT_MAX_NEW_ROOMS_PER_MINUTE: "off" } }),
        ctx.handle.start({ env: { ROOMKIT_MAX_CONNECTIONS_PER_ADDRESS: "off", ROOMKIT_MAX_NEW_ROOMS_PER_MINUTE: "off", ROOMKIT_MAX_CONNECTIONS_TOTAL: "off" } }),
      ]);
    });
    afterAll(async () => {
      await Promise.all([limited?.stop(), small?.stop(), unlimited?.stop()]);
    });
    const chat = (rt: RunningRuntime, name: string, from: string, headers?: Record<string, string>) => TestClient.open(rt.url, `/rooms/${name}/ws`, headers, from);
    const refusal = (rt: RunningRuntime, name: string, from: string, headers?: Record<string, string>) => TestClient.refusal(rt.url, `/rooms/${name}/ws`, headers, from);
    const admitted = (rt: RunningRuntime, name: string, from: string) =>
      chat(rt, name, from).then(
        (client) => (client.close(), true),
        () => false,
      );
    /** A room with one client from another address, which must not notice anything. */
    const watcher = async (rt: RunningRuntime, from: string) => {
      const name = roomName("watched");
      const [a, b] = [await chat(rt, name, from), await chat(rt, name, from)];
      return {
        async stillServed() {
          a.send({ user: "a", message: "still here" });
          expect(await b.next()).toMatchObject({ user: "a", message: "still here" });
        },
        close: () => (a.close(), b.close()),
      };
    };

    it.runIf(enforced)("refuses the connection past maxConnectionsPerAddress with 503, in any room; other addresses' rooms are unaffected", async () => {
      const watched = await watcher(limited, "127.0.0.3");
      const name = roomName("per-address");
      const held = [await chat(limited, name, "127.0.0.2"), await chat(limited, name, "127.0.0.2"), await chat(limited, name, "127.0.0.2")];
      const refused = await refusal(limited, name, "127.0.0.2");
      expect(refused.status).toBe(503);
      expect(refused.body).toBe("Too many connections from your address (3).");
      expect((await refusal(limited, roomName("elsewhere"), "127.0.0.2")).status).toBe(503);
      await watched.stillServed();
      (await chat(limited, name, "127.0.0.3")).close();
      // A socket closed is a slot free again.
      held[0]!.close();
      await expect.poll(() => admitted(limited, name, "127.0.0.2")).toBe(true);
      for (const client of held) client.close();
      watched.close();
    });

    it.runIf(enforced)("refuses the room past maxNewRoomsPerAddressPerMinute with 503 and Retry-After; joining a room with people in it is not new", async () => {
      const watched = await watcher(limited, "127.0.0.5");
      const busy = roomName("busy");
      const host = await chat(limited, busy, "127.0.0.5");
      for (let i = 0; i < 3; i++) {
        const client = await chat(limited, roomName("new"), "127.0.0.4");
        client.close();
        await client.closed;
      }
      const refused = await refusal(limited, roomName("new"), "127.0.0.4");
      expect(refused.status).toBe(503);
      expect(refused.body).toBe("Too many new rooms from your address (3 per minute); try again later.");
      const retryAfter = Number(await retryAfterOf(limited.url, `/rooms/${roomName("new")}/ws`, "127.0.0.4"));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(20);
      (await chat(limited, busy, "127.0.0.4")).close();
      expect(await admitted(limited, roomName("new"), "127.0.0.6")).toBe(true);
      await watched.stillServed();
      host.close();
      watched.close();
    });

    it.runIf(enforced)("counts a trusted proxy header's address (X-Forwarded-For: its last entry; IPv6 by /64) instead of the proxy's", async () => {
      const name = roomName("proxied");
      const via = (forwarded: string) => ({ "X-Forwarded-For": forwarded });
      const held = [
        await chat(limited, name, "127.0.0.7", via("198.51.100.1, 2001:db8:1:2::1")),
        await chat(limited, name, "127.0.0.7", via("2001:db8:1:2:ffff::9")),
        await chat(limited, name, "127.0.0.7", via("[2001:db8:1:2::77]:4431")),
      ];
      // The same /64, whatever the client claims in front of the proxy's own entry.
      expect((await refusal(limited, name, "127.0.0.7", via("10.0.0.1, 2001:db8:1:2::abcd"))).status).toBe(503);
      // The proxy's own address (the socket's) is not what is counted.
      held.push(await chat(limited, name, "127.0.0.7", via("2001:db8:1:3::1")));
      held.push(await chat(limited, name, "127.0.0.7", via("::ffff:198.51.100.1")));
      for (const client of held) client.close();
    });

    it.runIf(enforced)("refuses the connection past maxConnectionsTotal with 503, whoever asks", async () => {
      const held = [];
      for (let i = 0; i < 4; i++) held.push(await chat(small, roomName("total"), `127.0.0.${10 + i}`));
      const refused = await refusal(small, roomName("total"), "127.0.0.14");
      expect(refused.status).toBe(503);
      expect(refused.body).toBe("The server is at its connection limit (4); try again later.");
      held[0]!.close();
      await expect.poll(() => admitted(small, roomName("total"), "127.0.0.14")).toBe(true);
      for (const client of held) client.close();
    });

    it.runIf(enforced)("enforces the defaults: 256 sockets per address and 120 new rooms per minute", async () => {
      const name = roomName("defaults");
      const held = await Promise.all(Array.from({ length: 256 }, () => chat(ctx.rt, name, "127.0.0.20")));
      expect((await refusal(ctx.rt, name, "127.0.0.20")).body).toBe("Too many connections from your address (256).");
      for (const client of held) client.close();
      await Promise.all(held.map((client) => client.closed));
      // All at once: the bucket refills at 2 rooms a second, so a slow loop would earn more.
      const started = Date.now();
      const results = await Promise.all(Array.from({ length: 130 }, () => admitted(ctx.rt, roomName("default-new"), "127.0.0.21")));
      const refill = Math.ceil(((Date.now() - started) / 60_000) * 120);
      const count = results.filter(Boolean).length;
      expect(count).toBeGreaterThanOrEqual(120);
      expect(count).toBeLessThanOrEqual(120 + refill);
    });

    it.runIf(enforced)("admits past the defaults when the limits are off", async () => {
      const name = roomName("off");
      const held = await Promise.all(Array.from({ length: 300 }, () => chat(unlimited, name, "127.0.0.22")));
      for (const client of held) client.close();
      for (let i = 0; i < 130; i++) expect(await admitted(unlimited, roomName("off-new"), "127.0.0.23")).toBe(true);
    });
  });
}

/** The Retry-After header of a refused upgrade, read from the raw HTTP response. */
function retryAfterOf(baseUrl: string, path: string, localAddress: string): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const req = request(baseUrl + path, {
      localAddress,
      headers: { Connection: "Upgrade", Upgrade: "websocket", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==" },
    });
    req.once("response", (response) => {
      response.resume();
      resolve(response.headers["retry-after"] as string | undefined);
    });
    req.once("upgrade", (_response, socket) => {
      socket.destroy();
      reject(new Error(`upgrade to ${path} was accepted`));
    });
    req.once("error", reject);
    req.end();
  });
}
