// What one message costs a server in allocations: runs a server in this process (raw ws baseline,
// roomkit's Node runtime with the bare room or the chat), sends `count` messages into a room of
// `clients` from a child process, and reports the bytes V8 allocated per message with the functions
// that allocated most (see allocations.ts).
// Usage: tsx bench/tools/alloc-per-message.ts raw|bare|chat [count=20000] [clients=16]
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { printTop, sampleAllocations, startServer, type ServerKind } from "./allocations.ts";

const [kind = "bare", countArg, clientsArg] = process.argv.slice(2);
const count = Number(countArg ?? 20_000);
const clients = Number(clientsArg ?? 16);

if (process.env.ALLOC_CHILD) {
  // The client side: `clients` sockets, one of them sends `count` frames, all wait for the relay.
  const { default: WebSocket } = await import("ws");
  const url = process.env.ALLOC_CHILD;
  const sockets = await Promise.all(
    Array.from({ length: clients }, () => new Promise<InstanceType<typeof WebSocket>>((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false });
      ws.once("open", () => resolve(ws));
      ws.once("error", reject);
    })),
  );
  let received = 0;
  const expected = count * (clients - 1);
  const done = new Promise<void>((resolve) => {
    for (const ws of sockets.slice(1)) ws.on("message", () => ++received === expected && resolve());
  });
  process.send!("ready");
  await new Promise((resolve) => process.once("message", resolve));
  const sender = sockets[0]!;
  for (let i = 0; i < count; i++) {
    sender.send(`{"user":"u0","message":"0 ${i} 0 1764241234567.123 xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}`);
    if (i % 100 === 99) await new Promise((resolve) => setImmediate(resolve));
  }
  await done;
  process.send!("done");
  process.exit(0);
}

const server = await startServer(kind as ServerKind);
const url = server.url("r0");
const child = fork(fileURLToPath(import.meta.url), [kind, String(count), String(clients)], {
  env: { ...process.env, ALLOC_CHILD: url },
  execArgv: ["--import", "tsx"],
});
await new Promise((resolve) => child.once("message", resolve));
const sampled = await sampleAllocations(async () => {
  child.send("go");
  await new Promise((resolve) => child.once("message", resolve));
});
printTop(`${kind}: ${count} messages into a room of ${clients} (${clients - 1} deliveries each)`, count, "message", sampled);
await server.stop();
process.exit(0);
