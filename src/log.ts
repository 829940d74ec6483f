// roomkit's own log lines. One switch for both runtimes: ROOMKIT_LOG=silent|error|warn|info
// (Node: the process environment; Cloudflare: a [vars] entry), or setLogLevel() in code.
export type LogLevel = "silent" | "error" | "warn" | "info";
const rank: Record<LogLevel, number> = { silent: 0, error: 1, warn: 2, info: 3 };
let level: LogLevel = "warn";

export function setLogLevel(next: LogLevel): void {
  level = next;
}

export function logLevelFromEnv(env: Readonly<Record<string, unknown>> | undefined): void {
  const value = env?.ROOMKIT_LOG;
  if (typeof value === "string" && value in rank) level = value as LogLevel;
}

export const log = {
  error: (...args: unknown[]) => rank[level] >= rank.error && console.error("[roomkit]", ...args),
  warn: (...args: unknown[]) => rank[level] >= rank.warn && console.warn("[roomkit]", ...args),
  info: (...args: unknown[]) => rank[level] >= rank.info && console.log("[roomkit]", ...args),
};
