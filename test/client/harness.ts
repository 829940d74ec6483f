// Real clients against a real server for the client tests: every event recorded, in order.
import { expect, vi } from "vitest";
import WebSocket from "ws";
import { RoomClient, connectChat, type ChatClient, type ChatClientOptions, type ClientEvents, type ClientOptions } from "../../src/client/index.ts";

/** Fast retries and timeouts, so failures are recovered from within a test's time. */
export const FAST: Partial<ChatClientOptions> = {
  backoff: { initialDelayMs: 20, maxDelayMs: 200 },
  connectTimeoutMs: 2000,
  heartbeat: false,
};

const EVENTS = ["open", "message", "ack", "synced", "resumed", "gap", "reconnecting", "close", "error"] as const;
type Recorded<In, Out> = { [K in keyof ClientEvents<In, Out>]: { type: K; event: ClientEvents<In, Out>[K] } }[keyof ClientEvents<In, Out>];

export class Recorder<In, Out> {
  readonly log: Recorded<In, Out>[] = [];

  constructor(readonly client: RoomClient<In, Out>) {
    for (const type of EVENTS) client.on(type, (event: any) => this.log.push({ type, event } as Recorded<In, Out>));
  }

  of<K extends keyof ClientEvents<In, Out>>(type: K): ClientEvents<In, Out>[K][] {
    return this.log.filter((entry) => entry.type === type).map((entry) => entry.event as ClientEvents<In, Out>[K]);
  }

  count(type: keyof ClientEvents<In, Out>): number {
    return this.of(type).length;
  }
}


export function chat(server: string, room: string, options: Partial<ChatClientOptions> = {}): { client: ChatClient; rec: Recorder<any, any> } {
  const client = connectChat({ ...FAST, ...options, server, room, WebSocket });
  return { client, rec: new Recorder(client) };
}

export function raw<In = any, Out = any>(options: Omit<ClientOptions, "WebSocket">): { client: RoomClient<In, Out>; rec: Recorder<In, Out> } {
  const client = new RoomClient<In, Out>({ ...FAST, ...options, WebSocket });
  return { client, rec: new Recorder(client) };
}

/** Texts of the chat messages a recorder delivered to its app, in order. */
export const texts = (rec: Recorder<any, any>) => rec.of("message").map((m) => m.data.message as string);
export const ackTexts = (rec: Recorder<any, any>) => rec.of("ack").map((a) => a.data.message as string);

export async function until(condition: () => boolean, timeout = 10_000): Promise<void> {
  await vi.waitFor(() => expect(condition()).toBe(true), { timeout, interval: 5 });
}

/** Sends each message and waits for its ack, so the room has them all before the next step. */
export async function sendAll(client: ChatClient, rec: Recorder<any, any>, user: string, messages: string[]): Promise<void> {
  const before = rec.count("ack");
  for (const message of messages) client.send({ user, message });
  await until(() => rec.count("ack") >= before + messages.length);
}

export const range = (prefix: string, from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `${prefix}${from + i}`);

export interface WireEvent {
  direction: "sent" | "received";
  data: unknown;
  /** performance.now() */
  at: number;
}

/**
 * `ws`, recording every frame the client writes and receives with its time: a real socket, seen
 * from the client's side of it.
 */
export function recordingWebSocket(log: WireEvent[]) {
  return class RecordingWebSocket extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      this.addEventListener("message", (event) => log.push({ direction: "received", data: event.data, at: performance.now() }));
    }

    override send(data: any, ...rest: any[]): void {
      log.push({ direction: "sent", data, at: performance.now() });
      (super.send as (...args: any[]) => void)(data, ...rest);
    }
  };
}
