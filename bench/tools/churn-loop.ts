// The churn the CPU tools drive (churn-cpu.ts, workerd-cpuprofile.ts): `loops` sockets at a time,
// each opened to the next of `urls`, closed once open, again, until `durationMs` is over. Returns
// the cycles that opened. (The bench's own W5 churn, with its histogram and error samples, is in
// bench/load/client.ts.)
import WebSocket from "ws";

export async function churn(urls: readonly string[], loops: number, durationMs: number, localAddress?: (i: number) => string): Promise<number> {
  const end = performance.now() + durationMs;
  let cycles = 0;
  let n = 0;
  const loop = () =>
    new Promise<void>((resolve) => {
      const step = () => {
        if (performance.now() >= end) return resolve();
        const i = n++;
        const ws = new WebSocket(urls[i % urls.length]!, { perMessageDeflate: false, localAddress: localAddress?.(i) });
        let opened = false;
        ws.on("open", () => {
          opened = true;
          ws.close(1000);
        });
        ws.on("error", () => {});
        ws.on("close", () => {
          if (opened) cycles++;
          step();
        });
      };
      step();
    });
  await Promise.all(Array.from({ length: loops }, loop));
  return cycles;
}
