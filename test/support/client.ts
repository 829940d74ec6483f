// A small real-WebSocket test client: a queue of received frames and awaitable expectations.
import WebSocket from "ws";

export interface Closed {
  code: number;
  reason: string;
}

export class TestClient {
  readonly frames: string[] = [];
  private readonly waiters: Array<() => void> = [];
  readonly closed: Promise<Closed>;
  private cursor = 0;

  private constructor(readonly ws: WebSocket) {
    ws.on("message", (data: Buffer, isBinary: boolean) => {
      this.frames.push(isBinary ? `<binary ${data.length}>` : data.toString());
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.closed = new Promise((resolve) => {
      ws.on("close", (code: number, reason: Buffer) => {
        resolve({ code, reason: reason.toString() });
        for (const wake of this.waiters.splice(0)) wake();
      });
    });
    ws.on("error", () => {});
  }

  static async open(baseUrl: string, path: string, headers?: Record<string, string>): Promise<TestClient> {
    const ws = new WebSocket(baseUrl.replace(/^http/, "ws") + path, { headers });
    const client = new TestClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("unexpected-response", (_req, res) => reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)));
      ws.once("error", reject);
    });
    return client;
  }

  /** The HTTP status an upgrade attempt was refused with (throws if it was accepted). */
  static async refusal(baseUrl: string, path: string, headers?: Record<string, string>): Promise<{ status: number; body: string }> {
    const ws = new WebSocket(baseUrl.replace(/^http/, "ws") + path, { headers });
    return new Promise((resolve, reject) => {
      ws.once("open", () => {
        ws.close();
        reject(new Error(`upgrade to ${path} was accepted`));
      });
      ws.once("unexpected-response", (_req, res) => {
        let body = "";
        res.on("data", (chunk: Buffer) => (body += chunk.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      ws.once("error", (error) => reject(error));
    });
  }

  send(data: unknown): void {
    this.ws.send(typeof data === "string" || data instanceof Uint8Array ? data : JSON.stringify(data));
  }

  /** The next frame not yet consumed (as text), waiting up to `timeoutMs`. */
  async nextText(timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.cursor >= this.frames.length) {
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error("socket closed while waiting for a frame");
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no frame within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.frames[this.cursor++]!;
  }

  async next<T = any>(timeoutMs?: number): Promise<T> {
    return JSON.parse(await this.nextText(timeoutMs)) as T;
  }

  /** Skips frames until one matches. */
  async nextMatching<T = any>(predicate: (frame: any) => boolean, timeoutMs = 5000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const frame = await this.next(Math.max(1, deadline - Date.now()));
      if (predicate(frame)) return frame as T;
    }
  }

  /** Frames received and not yet consumed. */
  pending(): string[] {
    return this.frames.slice(this.cursor);
  }

  /** Asserts nothing arrives for `ms`. */
  async expectSilence(ms: number): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    const extra = this.pending();
    if (extra.length > 0) throw new Error(`expected silence, got ${extra.length} frame(s): ${extra.slice(0, 3).join(" | ")}`);
  }

  close(code?: number, reason?: string): void {
    this.ws.close(code, reason);
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }
}

export async function openMany(baseUrl: string, path: string, count: number): Promise<TestClient[]> {
  return Promise.all(Array.from({ length: count }, () => TestClient.open(baseUrl, path)));
}
