// What the contract suite needs from a runtime: start the fixture app on a free port, force a room
// into hibernation, stop. Differences between runtimes are capability flags, never silent skips.

export interface RuntimeCapabilities {
  /** The server process can be killed and restarted on the same data (Node only). */
  restart: boolean;
  /** Slow-consumer protection by the runtime's own send buffer (Node; workerd manages its own). */
  slowConsumerClose: boolean;
}

export interface StartOptions {
  /** Extra environment / [vars] for this instance (ROOMKIT_* limits, ROOMKIT_LOG …). */
  env?: Record<string, string>;
  /** Idle time before a room hibernates by itself. Cloudflare's is fixed at ~10 s. */
  hibernateAfterMs?: number;
}

export interface RunningRuntime {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** How long a room stays awake without events before it hibernates by itself (Cloudflare: ~10 s). */
  readonly idleMs: number;
  /** Really evicts/drops the room instance now; its sockets stay open. False if it was not awake. */
  hibernate(type: string, name: string): Promise<boolean>;
  /**
   * Only with `capabilities.restart`: stops the server (sockets closed with 1001, as on a deploy),
   * leaves the port unserved for `downtimeMs`, then starts it again on the same port and data.
   */
  restart?(options?: { downtimeMs?: number }): Promise<void>;
  stop(): Promise<void>;
}

export interface RuntimeHandle {
  readonly name: "node" | "cloudflare";
  readonly capabilities: RuntimeCapabilities;
  start(options?: StartOptions): Promise<RunningRuntime>;
}
