// What a room author writes against. Everything here is Web-standard: the same room class runs in a
// Cloudflare Durable Object and in the Node runtime without change.
import type { RoomStorage } from "./storage.ts";

/** Data a socket can carry: text, or binary (binary always arrives as an ArrayBuffer). */
export type FrameData = string | ArrayBuffer;
/** What `send` / `broadcast` accept. */
export type OutgoingData = string | ArrayBuffer | ArrayBufferView;

/**
 * One client socket as the room sees it. The object itself is not kept across hibernation: the
 * runtime rebuilds it from the socket's attachment, so `id`, `tags` and `state` are all that survive.
 */
export interface Connection<State = unknown> {
  /** Stable for the socket's life, survives hibernation. */
  readonly id: string;
  /** Fixed when the socket is accepted; `host.connections(tag)` filters on them. */
  readonly tags: readonly string[];
  /** Survives hibernation as a structured-clone copy (≤ `maxStateBytes` serialized, 16 KiB by default and at most). */
  readonly state: State | null;
  /** Stores a structured-clone copy; throws `RoomkitError` `STATE_TOO_LARGE` past `maxStateBytes`. */
  setState(state: State | null): void;
  /** True when the client asked for roomkit's own frames with `?roomkit=1` (errors, acks, notices). */
  readonly extended: boolean;
  send(data: OutgoingData): void;
  /** Sends `{"type":"error","code","detail"}` to an extended client; returns false (and sends nothing) otherwise. */
  sendError(code: string, detail: string): boolean;
  close(code?: number, reason?: string): void;
}

export interface BroadcastOptions {
  /** Connection ids that must not receive the frame (typically the sender). */
  except?: readonly string[];
  /** Only connections carrying this tag. */
  tag?: string;
}

/**
 * The runtime's side of a room. The only way to reach sockets, storage and alarms. `State` is the
 * rooms' connection state (what `Connection.setState` stores), `Env` its bindings and vars.
 */
export interface RoomHost<State = unknown, Env = Record<string, unknown>> {
  /** The room's name as addressed by clients (`/rooms/:name/ws`). */
  readonly name: string;
  /** Cloudflare bindings and vars, or the Node server's `env` option. */
  readonly env: Env;
  /** Live sockets, read from the runtime on every call — never from room memory. */
  connections(tag?: string): Iterable<Connection<State>>;
  /** Number of live sockets (optionally with a tag), without building Connection objects. */
  connectionCount(tag?: string): number;
  getConnection(id: string): Connection<State> | undefined;
  /** Sends one frame to every live socket (minus `except`, optionally only those with `tag`). */
  broadcast(data: OutgoingData, options?: BroadcastOptions): void;
  /** Durable key–value and SQL storage, one database per room. */
  readonly storage: RoomStorage;
  /** Schedules `onAlarm` at `at` (ms since the epoch), replacing any earlier alarm. Wakes a hibernated room. */
  setAlarm(at: number | Date): Promise<void>;
  getAlarm(): Promise<number | null>;
  deleteAlarm(): Promise<void>;
}

/**
 * A room: constructed with its host when the room wakes (first connection, or the first event
 * after hibernation), so the constructor runs again after every hibernation and fields on `this`
 * are reset. Keep what must outlive that in `Connection.state` or `host.storage`.
 */
export interface Room<State = unknown> {
  /** The socket is open and counted in `connections()`. Throwing closes this socket with 1011. */
  onConnect?(connection: Connection<State>, request: Request): void | Promise<void>;
  onMessage?(connection: Connection<State>, data: FrameData): void | Promise<void>;
  /** The socket is closed and no longer in `connections()`. */
  onClose?(connection: Connection<State>, code: number, reason: string, wasClean: boolean): void | Promise<void>;
  onAlarm?(): void | Promise<void>;
  /** A handler above threw (or a socket errored); `connection` is the one it came from, if any. */
  onError?(error: unknown, connection?: Connection<State>): void;
}

/** A room type: the class the runtimes instantiate, whatever its state and env types. */
export interface RoomClass {
  new (host: RoomHost<any, any>): Room<any>;
}

/** What `onBeforeConnect` may hand to the socket: its first state and its tags. */
export interface ConnectionInit<State = unknown> {
  state?: State;
  tags?: readonly string[];
}
