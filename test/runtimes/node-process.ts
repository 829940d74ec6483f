// Starts test/runtimes/node-process-main.ts as a child process (tsx), for kill -9 / restart tests.
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export interface NodeProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Sends the signal and waits for the process to be gone. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

const main = fileURLToPath(new URL("./node-process-main.ts", import.meta.url));

/** `wrapper`: a command the server runs under, such as `["prlimit", "--nofile=256"]`. */
export async function startNodeProcess(dataDir: string, options: { port?: number; env?: Record<string, string>; wrapper?: string[] } = {}): Promise<NodeProcess> {
  const argv = [process.execPath, "--import", "tsx", main, dataDir, String(options.port ?? 0)];
  const [command, ...args] = [...(options.wrapper ?? []), ...argv];
  const child = spawn(command!, args, {
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once("line", resolve);
    child.once("exit", (code) => reject(new Error(`server process exited early (code ${code})`)));
  });
  return {
    url,
    child,
    async kill(signal = "SIGKILL") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
