// One handle shape for both runtimes. Where Node and workerd differ, the difference is a flag in
// `capabilities`, known before the runtime starts, so a suite states what it cannot run
// (`it.runIf(runtime.capabilities.restart)`) instead of skipping it silently.

export interface RuntimeCapabilities {
  /** `restart()` exists: the server stops and starts again on the same port and data (Node). */
  readonly restart: boolean;
  /** A socket that does not read its frames is closed with 1013 past `maxBufferedBytes` (Node); workerd buffers on its own. */
  readonly slowConsumerClose: boolean;
  /** `hibernateAfterMs` is honoured (Node); workerd's idle eviction is its own, about 10 s. */
  readonly hibernateAfterMs: boolean;
  /**
   * The admission limits (`maxConnectionsPerAddress`, `maxConnectionsTotal`,
   * `maxNewRoomsPerAddressPerMinute`) are enforced (Node); on Cloudflare they are the Worker's to
   * apply (a Rate Limiting binding in `onBeforeConnect`).
   */
  readonly admissionLimits: boolean;
  /** A room dropped for idleness logs a `hibernate` line (Node); workerd evicts an object without telling it. */
  readonly logsHibernation: boolean;
  /**
   * Client frames that break RFC 6455 (unmasked, invalid UTF-8, a Close code no endpoint may send)
   * fail the connection with 1002/1007 (Node, ws); workerd accepts some of them itself.
   */
  readonly strictFrames: boolean;
}

export const NODE_CAPABILITIES: RuntimeCapabilities = { restart: true, slowConsumerClose: true, hibernateAfterMs: true, admissionLimits: true, logsHibernation: true, strictFrames: true };
export const WORKERD_CAPABILITIES: RuntimeCapabilities = { restart: false, slowConsumerClose: false, hibernateAfterMs: false, admissionLimits: false, logsHibernation: false, strictFrames: false };

export type RuntimeName = "node" | "workerd";

export interface RunningRuntime {
  readonly name: RuntimeName;
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly capabilities: RuntimeCapabilities;
  /** How long a room stays awake without events before it hibernates by itself. */
  readonly idleMs: number;
  /**
   * Drops (Node) or evicts (workerd) the instance of room `type`/`name` now; its sockets stay open
   * and the next event builds a new instance. Resolves false when there was no instance to drop
   * (the room is hibernated already, or has no socket): that is not an error.
   */
  hibernate(type: string, name: string): Promise<boolean>;
  /**
   * Only with `capabilities.restart`: closes every socket with 1001 (as a deploy does), leaves the
   * port unserved for `downtimeMs`, then serves again on the same port and data.
   */
  restart?(options?: { downtimeMs?: number }): Promise<void>;
  /** Stops the runtime and removes the temporary files it made. */
  stop(): Promise<void>;
}

/** What a suite may vary per start: more `ROOMKIT_*` variables, a shorter idle time (Node). */
export interface StartOptions {
  env?: Record<string, string>;
  hibernateAfterMs?: number;
  /** Each log line of the runtime: roomkit's own, and on workerd the rest of the Worker's console. */
  onLog?: (line: string) => void;
}

/** One runtime of a two-runtime suite: its name and capabilities now, the running instance on `start()`. */
export interface RuntimeStarter {
  readonly name: RuntimeName;
  readonly capabilities: RuntimeCapabilities;
  start(options?: StartOptions): Promise<RunningRuntime>;
}

export type StartFunction = (options: StartOptions) => Promise<RunningRuntime>;

/**
 * The runtimes one suite runs on, for `describe.each(runtimes({ node, workerd }))("… on $name", …)`.
 * Each function starts its runtime; it receives the suite's per-start options to pass on.
 */
export function runtimes(starters: { node?: StartFunction; workerd?: StartFunction }): RuntimeStarter[] {
  const list: RuntimeStarter[] = [];
  if (starters.node) list.push(starter("node", NODE_CAPABILITIES, starters.node));
  if (starters.workerd) list.push(starter("workerd", WORKERD_CAPABILITIES, starters.workerd));
  if (list.length === 0) throw new TypeError("runtimes(): give at least one of { node, workerd }");
  return list;
}

function starter(name: RuntimeName, capabilities: RuntimeCapabilities, start: StartFunction): RuntimeStarter {
  return { name, capabilities, start: (options = {}) => start(options) };
}
