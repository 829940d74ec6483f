// The client's options and events.
import type { BackoffOptions } from "./backoff.ts";
import type { HeartbeatOptions } from "./link.ts";
import type { OutboxLimits } from "./outbox.ts";
import type { WebSocketConstructor } from "./socket.ts";

export interface ClientOptions {
  /** The room's socket: `ws(s)://…`, `http(s)://…`, or (in a browser) a path such as `/rooms/demo/ws`. */
  url: string | URL;
  /** WebSocket implementation; default `globalThis.WebSocket` (Node 20 has none: pass `ws`). */
  WebSocket?: WebSocketConstructor;
  /**
   * Speak roomkit's resume protocol (default false; `connectChat` turns it on): connect with
   * `?roomkit=1` and `since=<last seq>`, drop frames already seen, match acks to sent messages,
   * report gaps. Needs a room that sends `seq`, `ack` and `synced` (the chat room does); one that
   * does not gets a `sync_timeout` error after `syncTimeoutMs`. `false`: a plain reconnecting
   * socket that sends JSON and delivers every frame.
   */
  resume?: boolean;
  /** Resume after this seq on the first connection instead of receiving recent history. */
  since?: number;
  backoff?: Partial<BackoffOptions>;
  /** Consecutive failed attempts before giving up (state `closed`, `close` with `gaveUp`). Default 20. */
  maxRetries?: number;
  /** An attempt that has not opened after this long is abandoned and retried. Default 10 000 ms. */
  connectTimeoutMs?: number;
  /**
   * Resume mode: a socket without a `synced` frame this long after opening is closed (1000, "sync
   * timeout") after an `error` with code `sync_timeout`, and counts as a failed attempt. Default 10 000 ms.
   */
  syncTimeoutMs?: number;
  /** Ping after `intervalMs` of silence, drop the socket if nothing answers within `timeoutMs`. `false`: off. */
  heartbeat?: Partial<HeartbeatOptions> | false;
  /** Bounds of the unconfirmed-message buffer. */
  buffer?: Partial<OutboxLimits>;
  /**
   * Messages written but not yet acknowledged, at most (resume mode). Default 1, which keeps the
   * sender's order even when the server refuses a message for its rate limit and it is sent again.
   */
  maxInFlight?: number;
  /** Wait before sending again after a `rate_limited` refusal. Default 1 000 ms. */
  rateLimitPauseMs?: number;
  /** Source of jitter, `[0, 1)`. Default `Math.random`. */
  random?: () => number;
  /** Connect at once (default true); otherwise call `reconnect()`. */
  autoConnect?: boolean;
}

/** `waiting`: between attempts (see `retryAt`). `closed`: not trying — closed, refused for good, or given up. */
export type ClientState = "connecting" | "open" | "waiting" | "closed";

export interface ClientError<Out = unknown> {
  /**
   * From the server: `invalid_message`, `rate_limited`, or whatever the room sends.
   * From the client: `buffer_full`, `message_too_large`, `invalid_frame`, `history_reset`, `sync_timeout`.
   */
  code: string;
  detail: string;
  fromServer: boolean;
  /** The message concerned, when the error is about one of ours. */
  id?: string;
  data?: Out;
  /** The message stays queued and is sent again (`rate_limited`). */
  willRetry?: boolean;
}

export interface ClientEvents<In = unknown, Out = unknown> {
  /** A socket opened. `reconnect`: not the client's first. */
  open: { reconnect: boolean };
  /**
   * A message from the room, each exactly once and in order (resume mode). `data`: the frame parsed
   * as JSON; without resume, a text frame that is not JSON is passed as its text and a binary frame
   * as its ArrayBuffer. `raw`: the frame exactly as received.
   */
  message: { data: In; raw: string | ArrayBuffer; seq: number | null; history: boolean };
  /** The server stored one of our messages (directly, or found again in history after a reconnect). */
  ack: { id: string; data: Out; seq: number; timestamp: number };
  /** History is delivered up to `seq`; live messages follow. Every connection, resume mode. */
  synced: { seq: number; resumed: boolean };
  /** A reconnection caught up: the `replayed` messages after `since` were delivered. */
  resumed: { since: number; seq: number; replayed: number };
  /** Messages `from`–`to` were pruned before the client could see them. */
  gap: { from: number; to: number };
  /** Retry number `attempt` in `delayMs` (at `at`, ms since the epoch). */
  reconnecting: { attempt: number; delayMs: number; at: number };
  /** A socket (or an attempt) ended. */
  close: {
    code: number;
    reason: string;
    wasClean: boolean;
    willReconnect: boolean;
    /** A close code that means "do not retry" (see `isTerminalClose`). */
    terminal: boolean;
    /** `maxRetries` attempts failed in a row. */
    gaveUp: boolean;
  };
  error: ClientError<Out>;
}
