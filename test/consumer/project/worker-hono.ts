// worker-hono.ts — the rooms inside your own Hono Worker (wrangler.toml: main = "worker-hono.ts")
import { Hono } from "hono";
import { createWorker } from "roomkit/cloudflare";
import { app, type Env } from "./room.js";

const rooms = createWorker(app, { score: "SCORE_ROOM" });
const hono = new Hono<{ Bindings: Env }>();
hono.get("/api/health", (c) => c.json({ ok: true, title: c.env.GAME_TITLE ?? "untitled" }));
hono.route("/realtime", rooms.routes); // → /realtime/games/:name/ws
export default hono;
export const ScoreRoom = rooms.objects.score;
