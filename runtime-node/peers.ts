// roomkit/node's peer dependencies, loaded in one place. They are optional peers of the package, so
// that a Cloudflare-only or client-only project installs no native module (better-sqlite3); a Node
// project that lacks one gets this one line, not a resolution error with a stack of module paths.
// Every other file of runtime-node imports their values from here (types may come from the packages).
import type BetterSqlite3 from "better-sqlite3";
import type * as WS from "ws";

const INSTALL = "npm install ws better-sqlite3 @hono/node-server";

async function load<T>(name: string, importer: () => Promise<T>): Promise<T> {
  try {
    return await importer();
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") {
      throw new Error(`roomkit/node needs the package "${name}", which is not installed: ${INSTALL}`, { cause: error });
    }
    throw error;
  }
}

const [ws, nodeServer, sqlite] = await Promise.all([
  load("ws", () => import("ws")),
  load("@hono/node-server", () => import("@hono/node-server")),
  load("better-sqlite3", () => import("better-sqlite3")),
]);

export const { WebSocket, WebSocketServer } = ws;
export type WebSocket = WS.WebSocket;
export type WebSocketServer = WS.WebSocketServer;
export const { createAdaptorServer, getRequestListener, upgradeWebSocket } = nodeServer;
export const Database: typeof BetterSqlite3 = sqlite.default;
