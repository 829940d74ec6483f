// room.ts — a scoreboard. Each player's name lives in its connection state and the totals in the
// room's storage: both survive hibernation, which resets the room's fields. `{ "endRoundInMs": n }`
// sets an alarm that announces the final scores, even if the room hibernates meanwhile.
import { defineApp, type BeforeConnectContext, type Connection, type Room, type RoomHost } from "roomkit";

export interface Player {
  name: string;
}
export interface Env {
  GAME_TITLE?: string;
}
type Scores = Record<string, number>;

export class ScoreRoom implements Room<Player> {
  constructor(readonly host: RoomHost<Player, Env>) {}

  onConnect(conn: Connection<Player>) {
    conn.send(JSON.stringify({ type: "welcome", you: conn.state?.name, title: this.host.env.GAME_TITLE ?? "untitled" }));
  }

  async onMessage(conn: Connection<Player>, data: string | ArrayBuffer) {
    if (typeof data !== "string") return conn.close(1003, "text only");
    const { points, endRoundInMs } = JSON.parse(data) as { points?: number; endRoundInMs?: number };
    if (endRoundInMs !== undefined) {
      await this.host.setAlarm(Date.now() + endRoundInMs);
      return conn.send(JSON.stringify({ type: "round", endsInMs: endRoundInMs }));
    }
    if (typeof points !== "number") return conn.close(1007, "points must be a number");
    const name = conn.state?.name ?? "anonymous";
    const scores = (await this.host.storage.get<Scores>("scores")) ?? {};
    scores[name] = (scores[name] ?? 0) + points;
    await this.host.storage.put("scores", scores);
    const players = [...this.host.connections()].map((c) => c.state?.name ?? "?").sort(); // any order on workerd
    this.host.broadcast(JSON.stringify({ type: "scores", scores, players }), { except: [conn.id] });
    conn.send(JSON.stringify({ type: "ack", total: scores[name] }));
  }

  async onAlarm() {
    const scores = (await this.host.storage.get<Scores>("scores")) ?? {};
    this.host.broadcast(JSON.stringify({ type: "final", scores }));
  }
}

export const app = defineApp({
  rooms: { score: ScoreRoom },
  routes: [{ path: "/games/:name/ws", room: "score" }],
  onBeforeConnect({ request, env }: BeforeConnectContext<Env>) {
    const name = new URL(request.url).searchParams.get("player");
    if (!name) return new Response(`${env.GAME_TITLE ?? "game"}: ?player= required`, { status: 401 });
    return { state: { name } satisfies Player };
  },
});
