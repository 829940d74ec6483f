// scoreboard.test.ts — the scoreboard on both runtimes, over real sockets: `npx vitest run`
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nodeRuntime, openSocket, runtimes, workerdRuntime, type RunningRuntime } from "roomkit/testing";
import { app } from "./room.js";

const env = { GAME_TITLE: "test" };

describe.each(
  runtimes({
    node: (options) => nodeRuntime(app, { ...options, env }),
    workerd: () => workerdRuntime({ config: "wrangler.toml", env }),
  }),
)("scoreboard on $name", (runtime) => {
  let rt: RunningRuntime;
  beforeAll(async () => {
    rt = await runtime.start();
  });
  afterAll(() => rt.stop());

  const join = async (game: string, player: string) => {
    const socket = await openSocket(`${rt.url}/games/${game}/ws?player=${player}`);
    expect(await socket.next()).toEqual({ type: "welcome", you: player, title: "test" });
    return socket;
  };

  it("broadcasts a score to everyone but its sender", async () => {
    const ann = await join("g1", "ann");
    const bob = await join("g1", "bob");
    ann.send({ points: 3 });
    expect(await ann.next()).toEqual({ type: "ack", total: 3 });
    expect(await bob.next()).toEqual({ type: "scores", scores: { ann: 3 }, players: ["ann", "bob"] });
    await ann.expectSilence(200);
  });

  it("keeps each player's state and the stored scores through a forced hibernation", async () => {
    const ann = await join("g2", "ann");
    const bob = await join("g2", "bob");
    ann.send({ points: 3 });
    await ann.next();
    await bob.next();
    // The room's instance is dropped (Node) or evicted (workerd); both sockets stay open.
    expect(await rt.hibernate("score", "g2")).toBe(true);
    bob.send({ points: 2 });
    expect(await bob.next()).toEqual({ type: "ack", total: 2 });
    expect(await ann.next()).toEqual({ type: "scores", scores: { ann: 3, bob: 2 }, players: ["ann", "bob"] });
  });

  it("wakes an evicted room for its alarm", async () => {
    const ann = await join("g3", "ann");
    ann.send({ points: 5 });
    await ann.next();
    ann.send({ endRoundInMs: 500 });
    expect(await ann.next()).toEqual({ type: "round", endsInMs: 500 });
    expect(await rt.hibernate("score", "g3")).toBe(true);
    expect(await ann.next()).toEqual({ type: "final", scores: { ann: 5 } });
  });

  it.runIf(runtime.capabilities.restart)("keeps the scores across a server restart (Node)", async () => {
    const ann = await join("g4", "ann");
    ann.send({ points: 7 });
    await ann.next();
    await rt.restart!();
    expect((await ann.closed).code).toBe(1001);
    const again = await join("g4", "ann");
    again.send({ points: 1 });
    expect(await again.next()).toEqual({ type: "ack", total: 8 });
  });
});
