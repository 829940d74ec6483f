// A latency histogram with about 1.5 % resolution: values (µs) below 128 are exact, above that
// 64 buckets per power of two. Small enough to ship between processes as [index, count] pairs.

const SUB = 64;
const BUCKETS = 128 + 32 * SUB;

function indexOf(us: number): number {
  const v = Math.max(0, Math.floor(us));
  if (v < 128) return v;
  const exponent = 31 - Math.clz32(v); // ≥ 7
  if (exponent > 38) return BUCKETS - 1;
  const shift = exponent - 6;
  return 128 + (exponent - 7) * SUB + ((v >>> shift) & (SUB - 1));
}

function valueOf(index: number): number {
  if (index < 128) return index;
  const exponent = Math.floor((index - 128) / SUB) + 7;
  const sub = (index - 128) % SUB;
  const shift = exponent - 6;
  // Midpoint of the bucket.
  return (SUB + sub + 0.5) * 2 ** shift;
}

export class Histogram {
  private readonly counts = new Uint32Array(BUCKETS);
  count = 0;
  max = 0;
  sum = 0;

  /** Records one value in microseconds. */
  record(us: number): void {
    this.counts[indexOf(us)]!++;
    this.count++;
    this.sum += us;
    if (us > this.max) this.max = us;
  }

  merge(other: HistogramData): void {
    for (const [index, n] of other.buckets) this.counts[index]! += n;
    this.count += other.count;
    this.sum += other.sum;
    if (other.max > this.max) this.max = other.max;
  }

  /** The value (µs) below which `q` of the samples lie. */
  quantile(q: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.ceil(q * this.count);
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(valueOf(i), this.max);
    }
    return this.max;
  }

  toJSON(): HistogramData {
    const buckets: Array<[number, number]> = [];
    for (let i = 0; i < BUCKETS; i++) if (this.counts[i]) buckets.push([i, this.counts[i]!]);
    return { buckets, count: this.count, max: this.max, sum: this.sum };
  }
}

export interface HistogramData {
  buckets: Array<[number, number]>;
  count: number;
  max: number;
  sum: number;
}
