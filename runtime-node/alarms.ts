// Alarms on Node: the time lives in the room's database (so it survives restarts), the timer in
// the process. One timer per room, like Cloudflare's one alarm per Durable Object.

// setTimeout cannot wait longer than 2^31-1 ms; longer alarms re-arm on the way.
const MAX_TIMEOUT = 2 ** 31 - 1;

export class AlarmTimers {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly fire: (key: string) => void) {}

  arm(key: string, at: number): void {
    this.disarm(key);
    if (this.stopped) return;
    const delay = Math.max(0, at - Date.now());
    const timer = setTimeout(() => {
      this.timers.delete(key);
      if (Date.now() + 5 < at) this.arm(key, at);
      else this.fire(key);
    }, Math.min(delay, MAX_TIMEOUT));
    this.timers.set(key, timer);
  }

  disarm(key: string): void {
    const timer = this.timers.get(key);
    if (timer) clearTimeout(timer);
    this.timers.delete(key);
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
