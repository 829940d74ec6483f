// Type-checked, never run: what must not compile. `tsc` fails if an expected error goes away.
import { defineApp, type Connection } from "roomkit";
import { ScoreRoom, type Player } from "./room.js";

export function routeToUnknownRoomType() {
  return defineApp({
    rooms: { score: ScoreRoom },
    // @ts-expect-error "scores" is not a room type of this app
    routes: [{ path: "/typo/:name/ws", room: "scores" }],
  });
}

export function stateIsTyped(conn: Connection<Player>) {
  // @ts-expect-error a Player has no `score`
  conn.setState({ name: "ann", score: 1 });
  return conn.state?.name.toUpperCase();
}
