// Baseline: a minimal hand-written hibernating Durable Object — the workerd limit roomkit's
// Cloudflare runtime is measured against. One object per room name; sockets accepted with the
// Hibernation API; a frame is relayed to every other socket of the room. Nothing else.
//
// With the binding STORE = "1" (the stored-do reference target): each frame is first inserted
// into the object's SQLite storage, so the relay waits, as any store-before-send room's does, for
// workerd's output gate to confirm the write. The floor of a stored message on workerd.
import { DurableObject } from "cloudflare:workers";

export class RawRoom extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.store = env.STORE === "1";
    if (this.store) ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS m (seq INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT)");
  }

  async fetch(request) {
    const pair = new WebSocketPair();
    this.ctx.acceptWebSocket(pair[1]);
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  webSocketMessage(ws, message) {
    if (this.store) this.ctx.storage.sql.exec("INSERT INTO m (body) VALUES (?)", message);
    for (const other of this.ctx.getWebSockets()) {
      if (other !== ws) {
        try {
          other.send(message);
        } catch {}
      }
    }
  }

  webSocketClose(ws, code) {
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code);
    } catch {}
  }
}

export default {
  fetch(request, env) {
    const match = /^\/(?:rooms|bare)\/([^/]+)\/ws$/.exec(new URL(request.url).pathname);
    if (!match || request.headers.get("upgrade") !== "websocket") return new Response("not found", { status: 404 });
    return env.RAW_ROOM.get(env.RAW_ROOM.idFromName(match[1])).fetch(request);
  },
};
