// Admission limits, checked before a room is touched: sockets per client address and in the whole
// process (which shares one descriptor table), and rooms started per address per minute. A client
// holding many sockets or cycling through room names is refused with 503 instead of taking the
// process's descriptors or databases from everyone else.
import type { Limits } from "../src/limits.ts";
import { autoConnectionLimit } from "./descriptor-limit.ts";

export type Refused = { refused: string; retryAfterSeconds?: number };

const MINUTE = 60_000;

interface Budget {
  tokens: number;
  at: number;
}

export class Admission {
  readonly maxTotal: number | null;
  /** False when both per-address limits are off: then nobody needs a connection's address. */
  readonly countsAddresses: boolean;
  private total = 0;
  private readonly perAddress = new Map<string, number>();
  /** New-room token buckets; a bucket untouched for a minute is full again and forgotten. */
  private readonly roomBudgets = new Map<string, Budget>();
  private sweptAt = Date.now();

  constructor(
    private readonly limits: Pick<Limits, "maxConnectionsPerAddress" | "maxConnectionsTotal" | "maxNewRoomsPerAddressPerMinute">,
    private readonly now: () => number = Date.now,
  ) {
    this.maxTotal = limits.maxConnectionsTotal === "auto" ? autoConnectionLimit() : limits.maxConnectionsTotal;
    this.countsAddresses = limits.maxConnectionsPerAddress !== null || limits.maxNewRoomsPerAddressPerMinute !== null;
  }

  /**
   * Counts one socket of `address` until `release(address)`, or says why not; `startsRoom`: it
   * would start a room nobody is in. Without per-address limits, `address` is not looked at. A plain count, not a closure per socket: an idle socket is
   * what a server holds most of.
   */
  admit(address: string, startsRoom: boolean): Refused | null {
    if (this.maxTotal !== null && this.total >= this.maxTotal) {
      return { refused: `The server is at its connection limit (${this.maxTotal}); try again later.` };
    }
    if (!this.countsAddresses) {
      this.total++;
      return null;
    }
    const held = this.perAddress.get(address) ?? 0;
    const perAddress = this.limits.maxConnectionsPerAddress;
    if (perAddress !== null && held >= perAddress) {
      return { refused: `Too many connections from your address (${perAddress}).` };
    }
    const perMinute = this.limits.maxNewRoomsPerAddressPerMinute;
    if (startsRoom && perMinute !== null) {
      const budget = this.budget(address, perMinute);
      if (budget.tokens < 1) {
        const retryAfterSeconds = Math.ceil(((1 - budget.tokens) * MINUTE) / perMinute / 1000);
        return { refused: `Too many new rooms from your address (${perMinute} per minute); try again later.`, retryAfterSeconds };
      }
      budget.tokens -= 1;
    }
    this.total++;
    this.perAddress.set(address, held + 1);
    return null;
  }

  /** Once per socket admitted, when it is gone. */
  release(address: string): void {
    this.total--;
    if (!this.countsAddresses) return;
    const left = (this.perAddress.get(address) ?? 1) - 1;
    if (left > 0) this.perAddress.set(address, left);
    else this.perAddress.delete(address);
  }

  /** Sockets counted now (tests, diagnostics). */
  get connections(): number {
    return this.total;
  }

  private budget(address: string, perMinute: number): Budget {
    const now = this.now();
    if (now - this.sweptAt >= MINUTE) {
      this.sweptAt = now;
      for (const [key, budget] of this.roomBudgets) if (now - budget.at >= MINUTE) this.roomBudgets.delete(key);
    }
    let budget = this.roomBudgets.get(address);
    if (!budget) {
      budget = { tokens: perMinute, at: now };
      this.roomBudgets.set(address, budget);
    } else {
      budget.tokens = Math.min(perMinute, budget.tokens + ((now - budget.at) / MINUTE) * perMinute);
      budget.at = now;
    }
    return budget;
  }
}
