// Messages the server has not confirmed yet: queued while disconnected, then in flight until their
// ack. Bounded by count and by bytes, so an app that keeps sending while offline cannot grow it
// without limit; a message that does not fit is refused, never silently dropped.

export interface OutboxLimits {
  /** Unconfirmed messages held at most. Default 100. */
  maxMessages: number;
  /** UTF-8 bytes of unconfirmed messages held at most. Default 256 KiB. */
  maxBytes: number;
}

export const DEFAULT_OUTBOX_LIMITS: Readonly<OutboxLimits> = Object.freeze({ maxMessages: 100, maxBytes: 256 * 1024 });

export interface OutboxEntry<T = unknown> {
  readonly id: string;
  readonly data: T;
  /** The frame as sent (JSON). */
  readonly text: string;
  readonly bytes: number;
  /** Written to the current socket and not yet answered. */
  sent: boolean;
}

export type AddResult = "ok" | "full";

export class Outbox<T = unknown> {
  private readonly entries: OutboxEntry<T>[] = [];
  private totalBytes = 0;

  constructor(readonly limits: OutboxLimits) {}

  get size(): number {
    return this.entries.length;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  /** Appends unless that would pass either bound. */
  add(entry: OutboxEntry<T>): AddResult {
    if (this.entries.length + 1 > this.limits.maxMessages || this.totalBytes + entry.bytes > this.limits.maxBytes) return "full";
    this.entries.push(entry);
    this.totalBytes += entry.bytes;
    return "ok";
  }

  get(id: string): OutboxEntry<T> | undefined {
    return this.entries.find((entry) => entry.id === id);
  }

  remove(entry: OutboxEntry<T>): void {
    const index = this.entries.indexOf(entry);
    if (index < 0) return;
    this.entries.splice(index, 1);
    this.totalBytes -= entry.bytes;
  }

  /** The oldest message written to the current socket and not answered: the next answer is about it. */
  oldestSent(): OutboxEntry<T> | undefined {
    return this.entries.find((entry) => entry.sent);
  }

  sentCount(): number {
    let n = 0;
    for (const entry of this.entries) if (entry.sent) n++;
    return n;
  }

  /** Entries not yet written to the current socket, oldest first. */
  *unsent(): Iterable<OutboxEntry<T>> {
    for (const entry of this.entries) if (!entry.sent) yield entry;
  }

  /** The socket is gone: whatever it carried without an answer must be sent again. */
  unsendAll(): void {
    for (const entry of this.entries) entry.sent = false;
  }

  /** Oldest first. */
  list(): readonly OutboxEntry<T>[] {
    return this.entries;
  }
}

/** UTF-8 length of a string without encoding it. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}
