// The server side of the bench's IPC: a server process says where it listens and which process
// holds the sockets, and collects garbage on request so that idle-memory readings are comparable.

import { getHeapSpaceStatistics } from "node:v8";

export type ToServer = { op: "gc" } | { op: "heap" } | { op: "stop" };
/** Heap figures of a Node server (bytes); null from a launcher whose sockets live in workerd. */
export type HeapFigures = { heapUsed: number; heapTotal: number; external: number; newSpace: number } | null;
export type FromServer =
  | { op: "listening"; url: string; pid: number }
  | { op: "gc-done" }
  | { op: "heap"; heap: HeapFigures }
  | { op: "error"; message: string };

/**
 * `collect`: how to collect garbage where the sockets live, when that is not this process (workerd:
 * a request to the Worker, which calls V8's gc() — see bench/targets/workerd.ts).
 */
export function serveBenchControl(url: string, socketPid: number, stop?: () => Promise<void>, collect?: () => Promise<void>): void {
  const send = (message: FromServer) => process.send?.(message);
  process.on("message", (message: ToServer) => {
    if (message.op === "gc" && collect) {
      collect().then(
        () => send({ op: "gc-done" }),
        (error: Error) => send({ op: "error", message: `gc: ${error.message}` }),
      );
    } else if (message.op === "gc") {
      const gc = (globalThis as { gc?: () => void }).gc;
      if (gc) {
        // Run the young generation through all of its pages first, so that every reading counts it
        // whole (W3 starts Node servers with a fixed young generation): otherwise RSS would grow
        // with how far allocation happened to get into it, not with what the process holds.
        let sink: unknown = null;
        for (let i = 0; i < 3_000_000; i++) sink = { i };
        void sink;
        gc();
        gc();
      }
      send({ op: "gc-done" });
    } else if (message.op === "heap") {
      const newSpace = getHeapSpaceStatistics().find((space) => space.space_name === "new_space")?.space_size ?? 0;
      const { heapUsed, heapTotal, external } = process.memoryUsage();
      send({ op: "heap", heap: socketPid === process.pid ? { heapUsed, heapTotal, external, newSpace } : null });
    } else if (message.op === "stop") {
      void (stop ? stop() : Promise.resolve()).finally(() => process.exit(0));
    }
  });
  process.on("disconnect", () => process.exit(0));
  send({ op: "listening", url, pid: socketPid });
}
