import { describe, expect, it } from "vitest";
import { TestClient, openMany } from "../../support/client.ts";
import { roomName, type SuiteContext } from "../context.ts";

export function chatCases(ctx: SuiteContext): void {
  describe("chat (the article's protocol)", () => {
    it("sends a message to every other client in the article's shape, never back to the sender", async () => {
      const name = roomName("chat");
      const [a, b, c] = await openMany(ctx.rt.url, `/rooms/${name}/ws`, 3);
      const before = Date.now();
      a!.send({ user: "ann", message: "hello" });
      for (const other of [b!, c!]) {
        const frame = await other.next();
        expect(frame).toMatchObject({ user: "ann", message: "hello", seq: 1 });
        expect(frame.timestamp).toBeGreaterThanOrEqual(before - 1000);
        expect(frame.timestamp).toBeLessThanOrEqual(Date.now() + 1000);
      }
      await a!.expectSilence(150);
      for (const client of [a, b, c]) client!.close();
    });

    it("serves /ws as the room global-chat-room", async () => {
      const a = await TestClient.open(ctx.rt.url, "/ws");
      const b = await TestClient.open(ctx.rt.url, "/rooms/global-chat-room/ws");
      const text = `same room ${Math.random()}`;
      a.send({ user: "ann", message: text });
      expect(await b.nextMatching((f) => f.message === text)).toMatchObject({ user: "ann" });
      a.close();
      b.close();
    });

    it("keeps rooms isolated", async () => {
      const [a1, a2] = await openMany(ctx.rt.url, `/rooms/${roomName("iso-a")}/ws`, 2);
      const [b1] = await openMany(ctx.rt.url, `/rooms/${roomName("iso-b")}/ws`, 1);
      a1!.send({ user: "ann", message: "only for room a" });
      expect(await a2!.next()).toMatchObject({ message: "only for room a" });
      await b1!.expectSilence(200);
      for (const client of [a1, a2, b1]) client!.close();
    });

    it("delivers to every one of 60 clients in one room", async () => {
      const name = roomName("many");
      const clients = await openMany(ctx.rt.url, `/rooms/${name}/ws`, 60);
      clients[0]!.send({ user: "ann", message: "to all" });
      const frames = await Promise.all(clients.slice(1).map((client) => client.next()));
      expect(frames).toHaveLength(59);
      for (const frame of frames) expect(frame).toMatchObject({ user: "ann", message: "to all" });
      await clients[0]!.expectSilence(100);
      for (const client of clients) client.close();
    });
  });
}
