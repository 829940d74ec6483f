// The Cloudflare side: the same room as a Worker with one Durable Object class.
import { createWorker } from "roomkit/cloudflare";
import { app } from "./room.js";

const { worker, objects } = createWorker(app, { score: "SCORE_ROOM" });
export default worker;
export const ScoreRoom = objects.score;
