// server.ts — `tsc && node build/server.js`
import { serveRooms } from "roomkit/node";
import { app } from "./room.js";

// Rooms read host.env from process.env; their databases go to ROOMKIT_DATA_DIR (default .data/).
const server = await serveRooms(app, { port: Number(process.env.PORT ?? 8787) });
console.log(`listening on ${server.url}`);
process.on("SIGTERM", () => void server.close().then(() => process.exit(0))); // every socket gets 1001
