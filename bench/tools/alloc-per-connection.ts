// What opening one connection costs a server in allocations: runs a server in this process (raw ws
// baseline, roomkit's Node runtime with the bare room or the chat), opens `count` connections in
// rooms of 100 from a child process, 50 at a time, and reports the bytes V8 allocated per connection
// with the functions that allocated most (see allocations.ts).
// With ALLOC_RETAINED=1 (and node --expose-gc): only what the open connections still hold.
// Usage: tsx bench/tools/alloc-per-connection.ts raw|bare|chat [count=2000]
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { printTop, sampleAllocations, startServer, type ServerKind } from "./allocations.ts";

const [kind = "bare", countArg] = process.argv.slice(2);
const count = Number(countArg ?? 2000);

if (process.env.ALLOC_CHILD) {
  const { default: WebSocket } = await import("ws");
  const urls: string[] = JSON.parse(process.env.ALLOC_CHILD);
  const open = (url: string) =>
    new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false });
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
  const run = async (list: string[]) => {
    let next = 0;
    await Promise.all(Array.from({ length: 50 }, async () => {
      while (next < list.length) await open(list[next++]!);
    }));
  };
  await run(urls.slice(0, 100)); // warm-up: code compiled, first room woken
  process.send!("ready");
  await new Promise((resolve) => process.once("message", resolve));
  await run(urls.slice(100));
  process.send!("done");
  await new Promise((resolve) => process.once("message", resolve));
  process.exit(0);
}

const server = await startServer(kind as ServerKind);
const urls = Array.from({ length: count + 100 }, (_, i) => server.url(`r${Math.floor(i / 100)}`));
const child = fork(fileURLToPath(import.meta.url), [kind, String(count)], {
  env: { ...process.env, ALLOC_CHILD: JSON.stringify(urls) },
  execArgv: ["--import", "tsx"],
});
await new Promise((resolve) => child.once("message", resolve));
const sampled = await sampleAllocations(async () => {
  child.send("go");
  await new Promise((resolve) => child.once("message", resolve));
}, process.env.ALLOC_RETAINED === "1");
printTop(`${kind}: ${count} connections ${process.env.ALLOC_RETAINED === "1" ? "open (retained)" : "opened"}, rooms of 100`, count, "connection", sampled, Number(process.env.ALLOC_TOP ?? 25));
child.send("exit");
await server.stop();
process.exit(0);
