// Child processes of the bench: the client processes (bench/load/client.ts) and the server under
// test, each driven over IPC. Every process is started here and stopped here, by its own pid.
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { FromClient, ToClient } from "./protocol.ts";
import type { FromServer, HeapFigures, ToServer } from "./server-control.ts";

const TSX = ["--import", "tsx"];

/** A request/reply channel over a child's IPC: `request` resolves with the next reply of that op. */
class Channel<In extends { op: string }, Out extends { op: string }> {
  private readonly waiting = new Map<string, Array<{ resolve: (m: any) => void; reject: (e: Error) => void }>>();
  private failure: Error | null = null;

  constructor(readonly child: ChildProcess, readonly name: string) {
    child.on("message", (message: In) => {
      if (message.op === "error") {
        this.fail(new Error(`${name}: ${(message as unknown as { message: string }).message}`));
        return;
      }
      const queue = this.waiting.get(message.op);
      queue?.shift()?.resolve(message);
    });
    child.on("exit", (code, signal) => this.fail(new Error(`${name} exited (${signal ?? code})`)));
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const queue of this.waiting.values()) for (const waiter of queue.splice(0)) waiter.reject(error);
  }

  wait<K extends In["op"]>(op: K, timeoutMs = 120_000): Promise<Extract<In, { op: K }>> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name}: no "${op}" within ${timeoutMs} ms`)), timeoutMs);
      const entry = {
        resolve: (m: any) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e: Error) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const queue = this.waiting.get(op) ?? [];
      queue.push(entry);
      this.waiting.set(op, queue);
    });
  }

  send(message: Out): void {
    if (this.child.connected) this.child.send(message);
  }

  request<K extends In["op"]>(message: Out, reply: K, timeoutMs?: number): Promise<Extract<In, { op: K }>> {
    const answer = this.wait(reply, timeoutMs);
    this.send(message);
    return answer;
  }

  /** Asks the child to stop (by `message`, or by `signal`), and kills it after `timeoutMs`. */
  async stop(message: Out | null, timeoutMs = 10_000, signal?: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    if (message) this.send(message);
    if (signal) child.kill(signal);
    const timer = setTimeout(() => child.pid && process.kill(child.pid, "SIGKILL"), timeoutMs);
    await exited;
    clearTimeout(timer);
  }
}

export class ClientProcess extends Channel<FromClient, ToClient> {
  static async start(index: number): Promise<ClientProcess> {
    const script = fileURLToPath(new URL("../load/client.ts", import.meta.url));
    const child = fork(script, [], { execArgv: TSX, stdio: ["ignore", "inherit", "inherit", "ipc"] });
    const proc = new ClientProcess(child, `client process ${index}`);
    await proc.wait("ready", 30_000);
    return proc;
  }

  get pid(): number {
    return this.child.pid!;
  }
}

export interface ServerSpec {
  script: string;
  args?: string[];
  /** Extra Node flags (the bench's `--cpu-prof` goes here). */
  nodeFlags?: string[];
  env?: Record<string, string>;
}

export class ServerProcess extends Channel<FromServer, ToServer> {
  url = "";
  /** The process holding the sockets (the workerd child for Miniflare targets). */
  socketPid = 0;
  /** How it was started: W6 starts the same server again with it. */
  spec: ServerSpec = { script: "" };

  static async start(spec: ServerSpec, name: string): Promise<ServerProcess> {
    const script = fileURLToPath(new URL(spec.script, new URL("../", import.meta.url)));
    const child = fork(script, spec.args ?? [], {
      // Node's default flags, as `npm start` runs a server: the tuned W3 adds its own.
      execArgv: [...TSX, ...(spec.nodeFlags ?? [])],
      env: { ...process.env, ...spec.env },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const proc = new ServerProcess(child, name);
    proc.spec = spec;
    const listening = await proc.wait("listening", 60_000);
    proc.url = listening.url;
    proc.socketPid = listening.pid;
    return proc;
  }

  get pid(): number {
    return this.child.pid!;
  }

  async gc(): Promise<void> {
    await this.request({ op: "gc" }, "gc-done", 30_000);
  }

  async heap(): Promise<HeapFigures> {
    return (await this.request({ op: "heap" }, "heap", 30_000)).heap;
  }

  shutdown(): Promise<void> {
    return this.stop({ op: "stop" }, 15_000);
  }

  /** Stops the server as a deploy does (W6): SIGTERM, and resolves once it has exited. */
  terminate(): Promise<void> {
    return this.stop(null, 15_000, "SIGTERM");
  }
}
