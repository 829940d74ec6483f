// mount-http.ts — the rooms on any node:http / node:https server (what Express, Fastify and Koa create)
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { nodeRooms } from "roomkit/node";
import { app } from "./room.js";

const rooms = nodeRooms(app);
const server = createServer((req, res) => res.end("your own handler")); // or express(), …
rooms.attach(server); // takes upgrades for the rooms' paths only; plain HTTP stays with your handler
server.listen(Number(process.env.PORT ?? 8787), () =>
  console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`),
);
process.on("SIGTERM", async () => {
  await rooms.close();
  server.close(() => process.exit(0));
});
