// A client that sends a bad frame (invalid UTF-8, a reserved opcode, an oversized or unmasked frame)
// is closed by ws per RFC 6455 (1002, 1007, 1009), then ws emits the error. That is the client's
// fault, not the server's: one line at warn, at most one a second, instead of a stack at error for
// each — a hostile client must not be able to flood the log.
import { log } from "../src/log.ts";

/** ws's errors for frames that break the protocol carry a code such as WS_ERR_INVALID_UTF8. */
export function isClientProtocolError(error: unknown): error is Error & { code: string } {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("WS_ERR_");
}

export class ProtocolErrorLog {
  private lastAt = Number.NEGATIVE_INFINITY;
  private suppressed = 0;

  constructor(private readonly intervalMs = 1000) {}

  note(type: string, name: string, error: Error & { code: string }): void {
    const now = Date.now();
    if (now - this.lastAt < this.intervalMs) {
      this.suppressed++;
      return;
    }
    const more = this.suppressed > 0 ? ` (and ${this.suppressed} more since the last such line)` : "";
    this.lastAt = now;
    this.suppressed = 0;
    log.warn(`client protocol error in room ${type} "${name}", socket closed: ${error.code} ${error.message}${more}`);
  }
}
