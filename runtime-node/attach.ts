// Rooms on any node:http / node:https server (what Express, Fastify and Koa create): one 'upgrade'
// listener that takes the upgrades for the rooms' own paths and leaves every other upgrade to the
// server's other listeners (another ws server on the same port keeps working). Plain HTTP requests
// never reach it: they stay with the server's own handler.
import type { IncomingMessage, Server as HttpServer } from "node:http";
import type { Duplex } from "node:stream";
import { Hono } from "hono";
import { log } from "../src/log.ts";
import { OWN_UPGRADE, type OwnUpgrade } from "./room-connector.ts";
import { writeResponse } from "./refusals.ts";
import { upgradeRequest } from "./upgrade-request.ts";

export type UpgradeServer = Pick<HttpServer, "on" | "off" | "listenerCount">;

/** Installs the listener; returns a function that removes it. */
export function attachUpgrades(server: UpgradeServer, routes: Hono<any>): () => void {
  const notOurs = new Response(null, { status: 404 });
  const app = new Hono();
  app.route("/", routes);
  app.notFound(() => notOurs);
  const onUpgrade = (incoming: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const own: OwnUpgrade = { socket, head };
    let answer: Response | Promise<Response>;
    try {
      answer = app.fetch(upgradeRequest(incoming), { incoming, outgoing: undefined, [OWN_UPGRADE]: own });
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
    if (response === notOurs) {
      // Someone else's path: theirs to answer. With nobody else listening, nobody would.
      if (server.listenerCount("upgrade") === 1) void writeResponse(socket, new Response("Not found.", { status: 404 }));
      return;
    }
    // Refusals were written by the rooms' routes themselves; an accepted upgrade is ws's now.
    if (!own.taken && !socket.writableEnded) void writeResponse(socket, response);
  }

  server.on("upgrade", onUpgrade);
  return () => void server.off("upgrade", onUpgrade);
}
