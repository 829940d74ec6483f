// Refused upgrades with their reason. @hono/node-server answers a refused upgrade with the status
// alone (Content-Length: 0); roomkit's refusals must say why (400 bad name, 403 origin, 503 full,
// the auth hook's own body), so the rooms' routes write the whole response to the socket
// themselves, and the adapter's own empty reply then finds the socket ended.
import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import type { UpgradeCall } from "./room-connector.ts";

export async function writeResponse(socket: Duplex, response: Response): Promise<void> {
  if (socket.destroyed) return;
  const body = Buffer.from(await response.arrayBuffer());
  const lines = [`HTTP/1.1 ${response.status} ${STATUS_CODES[response.status] ?? ""}`];
  response.headers.forEach((value, name) => {
    if (name !== "content-length" && name !== "connection") lines.push(`${name}: ${value}`);
  });
  lines.push(`Content-Length: ${body.length}`, "Connection: close", "", "");
  socket.once("finish", () => socket.destroy());
  socket.end(Buffer.concat([Buffer.from(lines.join("\r\n")), body]));
}

/**
 * The rooms' routes' answer on Node: a refused upgrade is written out with its body. Any other
 * answer passes through as it is, without a promise (an accepted upgrade is answered synchronously).
 */
export function writeRefusal(call: UpgradeCall, response: Response): Response | Promise<Response> {
  // A request Node delivered as an upgrade has no ServerResponse to write to: only its socket.
  const socket = call.incoming !== undefined && call.outgoing === undefined ? call.incoming.socket : undefined;
  if (!socket || response.status < 300 || socket.destroyed) return response;
  return writeResponse(socket, response.clone()).then(() => response);
}
