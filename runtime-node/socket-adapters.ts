// Two adjustments to the sockets ws and @hono/node-server hand us: the 1009 reason, and the
// adapter's per-socket listeners removed once they are attached.
import { CloseCode, tooBigReason } from "../src/protocol.ts";
import { WebSocket } from "./peers.ts";

const EVENTS = ["message", "close", "error"] as const;
export type Listeners = Record<(typeof EVENTS)[number], Function[]>;

export function listenerSnapshot(ws: WebSocket): Listeners {
  return { message: ws.listeners("message"), close: ws.listeners("close"), error: ws.listeners("error") };
}

/**
 * upgradeWebSocket attaches its own message/close/error listeners right after onOpen returns, to
 * call event handlers we do not use. They close over the whole Hono context (Request,
 * IncomingMessage, URLs) and would keep about 9 KB per idle socket alive for the socket's life.
 * Once they are attached, remove them: everything else (ws's own listeners, ours) stays.
 */
export function dropAdapterListeners(ws: WebSocket, before: Listeners, ours: Listeners): void {
  queueMicrotask(() => {
    for (const event of EVENTS) {
      for (const listener of ws.listeners(event)) {
        if (!before[event].includes(listener) && !ours[event].includes(listener)) ws.off(event, listener as never);
      }
    }
  });
}

/**
 * ws closes an oversized frame with a bare 1009 (maxPayload stops it before it is buffered whole);
 * give that close the same reason the room host uses, so clients learn the limit on both runtimes.
 */
export function withTooBigReason(maxBytes: number): typeof WebSocket {
  const reason = tooBigReason(maxBytes);
  return class extends WebSocket {
    override close(code?: number, data?: string | Buffer): void {
      super.close(code, code === CloseCode.MESSAGE_TOO_BIG && !data ? reason : data);
    }
  } as typeof WebSocket;
}
