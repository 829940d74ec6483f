// The second example room: a poll that closes itself. It needs an alarm — the room may be
// hibernating (or, on Node, the server may have restarted) when the time is up, and onAlarm still
// runs and announces the result.
import type { Connection, FrameData, Room, RoomHost } from "roomkit";

export type PollInput =
  | { type: "start"; question: string; options: string[]; seconds: number }
  | { type: "vote"; option: number };

export interface PollState {
  type: "poll";
  question: string;
  options: string[];
  counts: number[];
  closesAt: number;
  open: boolean;
}
export interface PollResult {
  type: "result";
  question: string;
  options: string[];
  counts: number[];
  /** Indexes of the options with the most votes (several on a tie; empty without votes). */
  winners: number[];
}

type Stored = { question: string; options: string[]; closesAt: number; open: boolean };

const LIMITS = { question: 200, option: 100, options: 10, seconds: 24 * 3600 };

export class PollRoom implements Room {
  constructor(readonly host: RoomHost) {
    host.storage.sql.exec("CREATE TABLE IF NOT EXISTS poll_votes (voter TEXT PRIMARY KEY, option INTEGER NOT NULL)");
  }

  async onConnect(connection: Connection): Promise<void> {
    const poll = await this.poll();
    if (poll) connection.send(JSON.stringify(this.state(poll)));
  }

  async onMessage(connection: Connection, data: FrameData): Promise<void> {
    const input = typeof data === "string" ? parse(data) : "binary frames are not accepted";
    if (typeof input === "string") {
      connection.sendError("invalid_message", input);
      return;
    }
    const poll = await this.poll();
    if (input.type === "start") {
      if (poll?.open) return void connection.sendError("poll_open", "a poll is already open");
      const closesAt = Date.now() + input.seconds * 1000;
      this.host.storage.sql.exec("DELETE FROM poll_votes");
      await this.host.storage.put<Stored>("poll", { question: input.question, options: input.options, closesAt, open: true });
      await this.host.setAlarm(closesAt);
    } else {
      if (!poll?.open) return void connection.sendError("poll_closed", "no open poll");
      if (input.option >= poll.options.length) return void connection.sendError("invalid_message", "no such option");
      // One vote per connection; a second vote replaces the first.
      this.host.storage.sql.exec(
        "INSERT INTO poll_votes (voter, option) VALUES (?, ?) ON CONFLICT(voter) DO UPDATE SET option = excluded.option",
        connection.id,
        input.option,
      );
    }
    this.host.broadcast(JSON.stringify(this.state((await this.poll())!)));
  }

  async onAlarm(): Promise<void> {
    const poll = await this.poll();
    if (!poll?.open) return;
    await this.host.storage.put<Stored>("poll", { ...poll, open: false });
    const counts = this.counts(poll);
    const best = Math.max(0, ...counts);
    const result: PollResult = {
      type: "result",
      question: poll.question,
      options: poll.options,
      counts,
      winners: best === 0 ? [] : counts.flatMap((count, index) => (count === best ? [index] : [])),
    };
    this.host.broadcast(JSON.stringify(result));
  }

  private poll(): Promise<Stored | undefined> {
    return this.host.storage.get<Stored>("poll");
  }

  private counts(poll: Stored): number[] {
    const counts = poll.options.map(() => 0);
    for (const row of this.host.storage.sql.exec<{ option: number; n: number }>("SELECT option, count(*) AS n FROM poll_votes GROUP BY option")) {
      if (row.option < counts.length) counts[row.option] = row.n;
    }
    return counts;
  }

  private state(poll: Stored): PollState {
    return { type: "poll", question: poll.question, options: poll.options, counts: this.counts(poll), closesAt: poll.closesAt, open: poll.open };
  }
}

function parse(text: string): PollInput | string {
  let value: any;
  try {
    value = JSON.parse(text);
  } catch {
    return "not valid JSON";
  }
  if (value?.type === "vote") {
    return Number.isInteger(value.option) && value.option >= 0 ? { type: "vote", option: value.option } : '"option" must be an option index';
  }
  if (value?.type === "start") {
    const { question, options, seconds } = value;
    if (typeof question !== "string" || !question.trim() || question.length > LIMITS.question) return `"question" must be 1–${LIMITS.question} characters`;
    if (!Array.isArray(options) || options.length < 2 || options.length > LIMITS.options) return `"options" must list 2–${LIMITS.options} choices`;
    if (!options.every((o: unknown) => typeof o === "string" && o.trim() && o.length <= LIMITS.option)) return `each option must be 1–${LIMITS.option} characters`;
    if (typeof seconds !== "number" || !(seconds > 0) || seconds > LIMITS.seconds) return `"seconds" must be in (0, ${LIMITS.seconds}]`;
    return { type: "start", question: question.trim(), options: options.map((o: string) => o.trim()), seconds };
  }
  return 'expected {"type":"start",…} or {"type":"vote",…}';
}
