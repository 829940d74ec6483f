// Rooms on any node:http / node:https server (what Express, Fastify and Koa create): one 'upgrade'
// listener that takes the upgrades for the rooms' own paths and leaves every other upgrade to the
// server's other listeners (another ws server on the same port keeps working). Plain HTTP requests
// never reach it: they stay with the server's own handler.
//
// No Hono app in between: the path is matched with Hono's own router and path rules (so a path
// means here what it means to the routes mounted in a Hono app) and the room routes run straight
// on the IncomingMessage, without a Context and a dispatch per upgrade.
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { RegExpRouter } from "hono/router/reg-exp-router";
import { SmartRouter } from "hono/router/smart-router";
import { TrieRouter } from "hono/router/trie-router";
import { getPath, tryDecodeURIComponent } from "hono/utils/url";
import { log } from "../src/log.ts";
import type { RoomRoutes } from "../src/room-routes.ts";
import type { RoomkitApp, RoomRoute } from "../src/router.ts";
import type { UpgradeServer } from "./node-rooms.ts";
import type { OwnUpgrade, UpgradeCall } from "./room-connector.ts";
import { writeResponse } from "./refusals.ts";
import { IncomingRouteRequest } from "./upgrade-request.ts";

/** Installs the listener; returns a function that removes it. */
export function attachUpgrades(server: UpgradeServer, routes: RoomRoutes<UpgradeCall>): () => void {
  const match = routeMatcher(routes.app);
  const onUpgrade = (incoming: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const request = new IncomingRouteRequest(incoming);
    const found = match(incoming.method ?? "GET", request.raw);
    if (!found) {
      // Someone else's path: theirs to answer. With nobody else listening, nobody would.
      if (server.listenerCount("upgrade") === 1) void writeResponse(socket, new Response("Not found.", { status: 404 }));
      return;
    }
    const own: OwnUpgrade = { socket, head };
    let answer: Response | Promise<Response>;
    try {
      answer = routes.handle({ own, incoming }, request, found.route, found.name);
    } catch (error) {
      answer = failed(error);
    }
    // An upgrade the routes take without waiting (no auth hook) is answered without a promise.
    if (answer instanceof Promise) void answer.catch(failed).then((response) => settle(response, own, socket));
    else settle(answer, own, socket);
  };

  function failed(error: unknown): Response {
    log.error("upgrade failed:", error);
    return new Response("Internal server error.", { status: 500 });
  }

  function settle(response: Response, own: OwnUpgrade, socket: Duplex): void {
    // Refusals were written by the rooms' routes themselves; an accepted upgrade is ws's now.
    if (!own.taken && !socket.writableEnded) void writeResponse(socket, response);
  }

  server.on("upgrade", onUpgrade);
  return () => void server.off("upgrade", onUpgrade);
}

/** The app's room routes by path, as a Hono app built from them would route a GET (HEAD too). */
function routeMatcher(app: RoomkitApp): (method: string, request: Request) => { route: RoomRoute; name: string } | undefined {
  // Hono's default router: RegExpRouter, or TrieRouter for the patterns RegExpRouter cannot take.
  const router = new SmartRouter<RoomRoute>({ routers: [new RegExpRouter(), new TrieRouter()] });
  for (const route of app.routes) router.add("GET", route.path, route);
  return (method, request) => {
    const [handlers, stash] = router.match(method === "HEAD" ? "GET" : method, getPath(request));
    const first = handlers[0];
    if (!first) return undefined;
    const [route, params] = first;
    if (route.name !== undefined) return { route, name: route.name };
    const param = (params as Record<string, string | number>).name;
    const raw = String((stash ? stash[param as number] : param) ?? "");
    // As Hono's c.req.param: percent-decoded when it holds an escape.
    return { route, name: raw.includes("%") ? tryDecodeURIComponent(raw) : raw };
  };
}
