// The Node side: a plain `node build/server.js` after `tsc`. Prints the URL, closes on SIGTERM.
import { serveRooms } from "roomkit/node";
import { app } from "./room.js";

const server = await serveRooms(app, { port: 0, dataDir: process.env.DATA_DIR!, env: { GAME_TITLE: "smoke" } });
console.log(server.url);
process.on("SIGTERM", () => void server.close().then(() => process.exit(0)));
