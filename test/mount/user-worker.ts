// A user's own Worker: its Hono app with its own route and middleware, the rooms mounted under /realtime.
import { Hono } from "hono";
import { createWorker } from "roomkit/cloudflare";
import { ProbeRoom, SlowConnectRoom } from "../fixtures/rooms.ts";
import { defineApp } from "roomkit";

interface Env {
  ROOM_PROBE: DurableObjectNamespace;
  ROOM_SLOW: DurableObjectNamespace;
}

const app = defineApp({
  rooms: { probe: ProbeRoom, slow: SlowConnectRoom },
  routes: [
    { path: "/probe/:name/ws", room: "probe" },
    { path: "/slow/:name/ws", room: "slow" },
  ],
  onBeforeConnect: ({ request }) => ({ state: { user: request.headers.get("x-user") }, tags: [] }),
});
const rooms = createWorker(app, { probe: "ROOM_PROBE", slow: "ROOM_SLOW" });
const hono = new Hono<{ Bindings: Env }>();
hono.get("/api/health", (c) => c.json({ ok: true }));
hono.use("/realtime/*", async (c, next) => {
  const token = new URL(c.req.url).searchParams.get("token");
  if (token !== "let-me-in") return c.text("login required", 401);
  const headers = new Headers(c.req.raw.headers);
  headers.set("x-user", "ann");
  c.req.raw = new Request(c.req.raw, { headers });
  await next();
});
hono.route("/realtime", rooms.routes);
export default hono;
export const MountedProbe = rooms.objects.probe;
export const MountedSlow = rooms.objects.slow;
