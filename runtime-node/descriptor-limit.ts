// The process's soft limit on open file descriptors, which every socket and room database counts
// against. Node raises the soft limit to the hard one at start-up, so this is read, not assumed.
import { readFileSync } from "node:fs";

/** Used where the limit cannot be read (not Linux): macOS's usual per-process ceiling. */
const FALLBACK = 10_240;

/** The soft RLIMIT_NOFILE, `Infinity` when unlimited. */
export function descriptorLimit(): number {
  try {
    const line = /^Max open files\s+(\S+)/m.exec(readFileSync("/proc/self/limits", "utf8"));
    if (line) return line[1] === "unlimited" ? Infinity : Number(line[1]);
  } catch {}
  return FALLBACK;
}

/** `maxConnectionsTotal: "auto"`: half the descriptors less a small reserve, the rest left to room databases, the listening socket and Node itself. */
export function autoConnectionLimit(limit = descriptorLimit()): number | null {
  if (!Number.isFinite(limit)) return null;
  return Math.max(1, Math.floor(limit / 2) - 32);
}
