// What every contract case gets: the runtime handle, the running instance shared by the cases,
// and helpers to talk to the probe room.
import { TestClient } from "../support/client.ts";
import type { RunningRuntime, RuntimeStarter } from "roomkit/testing";

let counter = 0;
/** A fresh room name per test, so tests share one server without sharing rooms. */
export const roomName = (label: string) => `${label}-${process.pid}-${++counter}-${Math.random().toString(36).slice(2, 8)}`;

export interface SuiteContext {
  readonly handle: RuntimeStarter;
  /** The instance started for the suite (default limits). */
  readonly rt: RunningRuntime;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Opens a socket to the probe room `name` (query string included as given). */
  probe(name: string, query?: string): Promise<TestClient>;
  /** Sends a probe command and waits for its reply. */
  ask(client: TestClient, command: { cmd: string; [key: string]: unknown }): Promise<any>;
}

export function createContext(handle: RuntimeStarter): SuiteContext {
  let running: RunningRuntime | undefined;
  const ctx: SuiteContext = {
    handle,
    get rt() {
      if (!running) throw new Error("runtime not started");
      return running;
    },
    async start() {
      running = await handle.start();
    },
    async stop() {
      await running?.stop();
    },
    probe: (name, query = "") => TestClient.open(ctx.rt.url, `/probe/${name}/ws${query}`),
    async ask(client, command) {
      client.send(command);
      return client.nextMatching((frame) => frame.re === command.cmd);
    },
  };
  return ctx;
}
