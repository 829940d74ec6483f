// The heartbeat (`ping` → `pong`) is answered by the runtime without waking the room, as Cloudflare's
// auto-response is. Its replies are still sends: they count against the socket's unsent-bytes cap
// (a client that pings and never reads is closed as a slow consumer) and a rate (pings faster than
// `rateLimit` get no reply), so a ping flood cannot make the server buffer without bound.
import type { Limits } from "../src/limits.ts";
import { HEARTBEAT_RESPONSE } from "../src/protocol.ts";
import { checkBackpressure, OPEN, type NodeSocket } from "./room-slot.ts";

export function answerHeartbeat(socket: NodeSocket, limits: Limits): void {
  if (socket.ws.readyState !== OPEN || !withinRate(socket, limits)) return;
  socket.ws.send(HEARTBEAT_RESPONSE);
  checkBackpressure(socket, limits);
}

/** A token bucket of its own (the room's bucket lives in the room instance, which pings do not wake). */
function withinRate(socket: NodeSocket, limits: Limits): boolean {
  const rate = limits.rateLimit;
  if (!rate) return true;
  const now = Date.now();
  const bucket = (socket.heartbeats ??= { tokens: rate.burst, at: now });
  bucket.tokens = Math.min(rate.burst, bucket.tokens + ((now - bucket.at) / 1000) * rate.perSecond);
  bucket.at = now;
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}
