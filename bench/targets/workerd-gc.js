// The bench's garbage-collection route on workerd, for the baseline and roomkit alike: W3 reads a
// server's memory after a full GC, and workerd has no other way to be asked for one. V8's gc()
// exists only when workerd runs with --expose-gc (bench/targets/workerd.ts sets it); the route is
// never part of roomkit's Worker, only of the bench's entries.
const BENCH_GC_PATH = "/__bench/gc"; // bench/targets/workerd.ts requests it

export function withBenchGc(worker) {
  return {
    ...worker,
    fetch(request, env, ctx) {
      if (new URL(request.url).pathname !== BENCH_GC_PATH) return worker.fetch(request, env, ctx);
      if (typeof globalThis.gc !== "function") return new Response("gc() is not exposed", { status: 501 });
      // As on Node: run the young generation through all of its pages first, so every reading
      // counts it whole, then collect everything.
      let sink = null;
      for (let i = 0; i < 3_000_000; i++) sink = { i };
      void sink;
      globalThis.gc();
      globalThis.gc();
      return new Response("collected");
    },
  };
}
