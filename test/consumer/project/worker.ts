// worker.ts — `npx wrangler deploy` (wrangler.toml below)
import { createWorker } from "roomkit/cloudflare";
import { app } from "./room.js";

const { worker, objects } = createWorker(app, { score: "SCORE_ROOM" });
export default worker;
export const ScoreRoom = objects.score; // the class_name wrangler.toml binds
