// roomkit's own log lines. One switch for both runtimes: ROOMKIT_LOG=silent|error|warn|info
// (Node: the server's env; Cloudflare: a [vars] entry), or setLogLevel() in code. At `info`, each
// lifecycle event of a room is one line, written by the code both runtimes share.
export type LogLevel = "silent" | "error" | "warn" | "info";
const rank: Record<LogLevel, number> = { silent: 0, error: 1, warn: 2, info: 3 };
export const LOG_LEVELS = Object.keys(rank) as readonly LogLevel[];
let level: LogLevel = "warn";

type Listener = (level: Exclude<LogLevel, "silent">, line: string) => void;
const listeners = new Set<Listener>();

export function setLogLevel(next: LogLevel): void {
  if (!(next in rank)) throw new TypeError(levelError(String(next)));
  level = next;
}

/** Reads ROOMKIT_LOG; a value that is not a level throws, as a bad ROOMKIT_* limit does. */
export function logLevelFromEnv(env: Readonly<Record<string, unknown>> | undefined): void {
  const value = env?.ROOMKIT_LOG;
  if (typeof value !== "string" || value.trim() === "") return;
  const name = value.trim();
  if (!(name in rank)) throw new TypeError(levelError(name));
  level = name as LogLevel;
}

function levelError(value: string): string {
  return `ROOMKIT_LOG must be one of ${LOG_LEVELS.join(", ")}, got "${value}"`;
}

/** True when lines of `at` are written: callers skip building a line nobody reads. */
export function logs(at: Exclude<LogLevel, "silent">): boolean {
  return rank[level] >= rank[at];
}

/** @internal Also hand every written line to `listener` (roomkit/testing's `onLog` on Node). */
export function onLogLine(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function write(at: Exclude<LogLevel, "silent">, args: unknown[]): void {
  if (!logs(at)) return;
  (at === "error" ? console.error : at === "warn" ? console.warn : console.log)("[roomkit]", ...args);
  if (listeners.size === 0) return;
  const line = ["[roomkit]", ...args].map((part) => (part instanceof Error ? (part.stack ?? String(part)) : typeof part === "string" ? part : String(part))).join(" ");
  for (const listener of listeners) listener(at, line);
}

export const log = {
  error: (...args: unknown[]) => write("error", args),
  warn: (...args: unknown[]) => write("warn", args),
  info: (...args: unknown[]) => write("info", args),
};

/**
 * A room's name as it appears in a line: quoted and escaped, so that a name (or a refused path)
 * can never start a line of its own.
 */
export function roomLabel(type: string, name: string): string {
  return `room ${type} ${JSON.stringify(name.length > 140 ? `${name.slice(0, 140)}…` : name)}`;
}

/** One lifecycle line at `info`: `[roomkit] room chat "lobby": connect c1 (2 connections)`. */
export function logRoom(type: string, name: string, event: string): void {
  if (logs("info")) log.info(`${roomLabel(type, name)}: ${event}`);
}
