// mount-hono.ts — the rooms inside your own Hono app on Node (@hono/node-server v2)
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { nodeRooms } from "roomkit/node";
import { app } from "./room.js";

const rooms = nodeRooms(app); // serveRooms' options, minus port and host
const hono = new Hono();
hono.get("/api/health", (c) => c.json({ ok: true }));
hono.route("/realtime", rooms.routes); // → /realtime/games/:name/ws
const server = serve({ fetch: hono.fetch, port: Number(process.env.PORT ?? 8787), websocket: rooms.websocket }, (info) =>
  console.log(`listening on http://127.0.0.1:${info.port}`),
);
process.on("SIGTERM", async () => {
  await rooms.close(); // every socket gets 1001, every room database is closed
  server.close(() => process.exit(0));
});
