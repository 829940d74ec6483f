// `npm start`: the example chat on the Node runtime (PORT, HOST; SIGINT/SIGTERM close every socket with 1001).
import { RoomkitError } from "roomkit";
import { serveRooms } from "roomkit/node";
import { exampleApp } from "./app.ts";

const server = await serveRooms(exampleApp, {
  port: Number(process.env.PORT ?? 8787),
  host: process.env.HOST ?? "127.0.0.1",
}).catch((error: unknown) => {
  // A configuration error (a data directory it cannot write to) is one line, not a stack.
  if (!(error instanceof RoomkitError && error.code === "CONFIG")) throw error;
  console.error(`roomkit: ${error.message}`);
  process.exit(1);
});
console.log(`roomkit chat (Node runtime) listening on ${server.url}`);

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: closing every socket with 1001`);
    server.close().then(
      () => process.exit(0),
      (error) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
}
