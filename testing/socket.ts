// A small real-WebSocket client for tests: received frames queue up and are taken in order, every
// wait is bounded, and a failed wait says what it waited for and what arrived instead.
import type { WebSocket as WsSocket } from "ws";

export interface Closed {
  code: number;
  reason: string;
}

export interface OpenSocketOptions {
  /** Request headers of the upgrade (Origin, Cookie, Authorization …). */
  headers?: Record<string, string>;
  /** Default bound of every wait on this socket. Default 5,000 ms. */
  timeoutMs?: number;
  /** The local address to connect from, e.g. `127.0.0.2` to be another client address on loopback (Linux). */
  localAddress?: string;
}

export interface Refusal {
  status: number;
  body: string;
}

/** A frame as received: text as a string, binary as bytes. */
export type RawFrame = string | Uint8Array;

async function loadWs(): Promise<typeof import("ws").WebSocket> {
  try {
    return (await import("ws")).WebSocket;
  } catch (error) {
    throw new Error('roomkit/testing\'s sockets need the package "ws", which is not installed: npm install -D ws', { cause: error });
  }
}

const wsUrl = (url: string) => url.replace(/^http/, "ws");
const describeFrame = (frame: RawFrame) => (typeof frame === "string" ? (frame.length > 200 ? `${frame.slice(0, 200)}…` : frame) : `<binary, ${frame.byteLength} bytes>`);

/** Opens a WebSocket to `url` (http(s):// or ws(s)://) and resolves once it is open; rejects with the HTTP status if refused. */
export async function openSocket<Frame = any>(url: string, options: OpenSocketOptions = {}): Promise<TestSocket<Frame>> {
  const WebSocket = await loadWs();
  const ws = new WebSocket(wsUrl(url), { headers: options.headers, localAddress: options.localAddress });
  const socket = new TestSocket<Frame>(url, ws, options.timeoutMs ?? 5000);
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("unexpected-response", (_request, response) => reject(new Error(`upgrade to ${url} refused: HTTP ${response.statusCode}`)));
    ws.once("error", reject);
  });
  return socket;
}

/** Attempts an upgrade that the server must refuse; resolves with its status and body, rejects if it was accepted. */
export async function refusedUpgrade(url: string, options: Pick<OpenSocketOptions, "headers" | "localAddress"> = {}): Promise<Refusal> {
  const WebSocket = await loadWs();
  const ws = new WebSocket(wsUrl(url), { headers: options.headers, localAddress: options.localAddress });
  return new Promise((resolve, reject) => {
    ws.once("open", () => {
      ws.close();
      reject(new Error(`upgrade to ${url} was accepted, expected a refusal`));
    });
    ws.once("unexpected-response", (_request, response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => (body += chunk.toString()));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
    });
    ws.once("error", reject);
  });
}

export class TestSocket<Frame = any> {
  /** Every frame received, consumed or not. */
  readonly frames: RawFrame[] = [];
  /** Resolves when the socket has closed, with the code and reason the client saw. */
  readonly closed: Promise<Closed>;
  private readonly waiters: Array<() => void> = [];
  private cursor = 0;
  private closedWith: Closed | undefined;

  /** @internal Use openSocket(). */
  constructor(
    readonly url: string,
    private readonly ws: WsSocket,
    private readonly timeoutMs: number,
  ) {
    ws.on("message", (data: Buffer, isBinary: boolean) => {
      this.frames.push(isBinary ? new Uint8Array(data) : data.toString());
      this.wake();
    });
    this.closed = new Promise((resolve) => {
      ws.on("close", (code: number, reason: Buffer) => {
        this.closedWith = { code, reason: reason.toString() };
        resolve(this.closedWith);
        this.wake();
      });
    });
    // Errors end in "close"; the wait that was pending reports it.
    ws.on("error", () => {});
  }

  /** Sends strings and bytes as they are, anything else as JSON text. */
  send(data: unknown): void {
    this.ws.send(typeof data === "string" || data instanceof Uint8Array || data instanceof ArrayBuffer ? data : JSON.stringify(data));
  }

  /** The next frame not yet taken, text or binary. */
  async nextRaw(timeoutMs = this.timeoutMs): Promise<RawFrame> {
    return this.take(Date.now() + timeoutMs, () => `a frame within ${timeoutMs} ms`);
  }

  /** The next frame as text; a binary frame fails the wait. */
  async nextText(timeoutMs = this.timeoutMs): Promise<string> {
    const frame = await this.take(Date.now() + timeoutMs, () => `a text frame within ${timeoutMs} ms`);
    if (typeof frame !== "string") throw new Error(`${this.url}: expected a text frame, got ${describeFrame(frame)}`);
    return frame;
  }

  /** The next frame parsed as JSON. */
  async next<T extends Frame = Frame>(timeoutMs = this.timeoutMs): Promise<T> {
    return this.parse<T>(await this.nextText(timeoutMs));
  }

  /**
   * Takes JSON frames until one matches; those before it are consumed. Fails after `timeoutMs`
   * naming `expected` and the frames skipped.
   */
  async nextMatching<T extends Frame = Frame>(
    predicate: ((frame: Frame) => frame is T) | ((frame: Frame) => boolean),
    options: { timeoutMs?: number; expected?: string } | number = {},
  ): Promise<T> {
    const { timeoutMs = this.timeoutMs, expected = "a matching frame" } = typeof options === "number" ? { timeoutMs: options } : options;
    const deadline = Date.now() + timeoutMs;
    const skipped: string[] = [];
    const waitingFor = () => {
      const seen = skipped.length ? `; skipped ${skipped.length}: ${skipped.slice(-3).join(" | ")}` : "";
      return `${expected} within ${timeoutMs} ms${seen}`;
    };
    for (;;) {
      const frame = this.parse<Frame>(await this.take(deadline, waitingFor));
      if (predicate(frame)) return frame as T;
      skipped.push(describeFrame(JSON.stringify(frame)));
    }
  }

  /** Frames received and not yet taken. */
  pending(): RawFrame[] {
    return this.frames.slice(this.cursor);
  }

  /** The frames not yet taken, parsed as JSON (without taking them). */
  pendingJson<T extends Frame = Frame>(): T[] {
    return this.pending().map((frame) => this.parse<T>(frame));
  }

  /** Every frame received so far, taken or not, parsed as JSON. */
  receivedJson<T extends Frame = Frame>(): T[] {
    return this.frames.map((frame) => this.parse<T>(frame));
  }

  /** Waits `ms` and fails if any frame arrived meanwhile. */
  async expectSilence(ms: number): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    const extra = this.pending();
    if (extra.length > 0) throw new Error(`${this.url}: expected silence for ${ms} ms, got ${extra.length} frame(s): ${extra.slice(0, 3).map(describeFrame).join(" | ")}`);
  }

  /**
   * Stops reading from the connection, as a client that never reads (a slow consumer): what the
   * server sends piles up in its own buffers. `resumeReading()` reads again.
   */
  pauseReading(): void {
    this.ws.pause();
  }

  resumeReading(): void {
    this.ws.resume();
  }

  close(code?: number, reason?: string): void {
    this.ws.close(code, reason);
  }

  /** Drops the TCP connection without a close handshake (a client that vanished). */
  terminate(): void {
    this.ws.terminate();
  }

  get isOpen(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  /** The next frame by `deadline`; a failure names what was awaited (`expected()`). */
  private async take(deadline: number, expected: () => string): Promise<RawFrame> {
    while (this.cursor >= this.frames.length) {
      if (this.closedWith) throw new Error(`${this.url}: closed (${this.closedWith.code} ${this.closedWith.reason}) while waiting for ${expected()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.url}: timed out waiting for ${expected()}`);
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

  private parse<T>(frame: RawFrame): T {
    if (typeof frame !== "string") throw new Error(`${this.url}: expected a JSON text frame, got ${describeFrame(frame)}`);
    try {
      return JSON.parse(frame) as T;
    } catch {
      throw new Error(`${this.url}: expected a JSON frame, got ${describeFrame(frame)}`);
    }
  }

  private wake(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }
}
