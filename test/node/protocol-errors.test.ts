// Bad frames from clients are closed per RFC 6455 by ws and logged as the client's fault: one line at
// warn, at most one a second, never a stack at error. Over raw TCP, with roomkit's log captured.
import { connect } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { serveRooms, type RoomServer } from "../../runtime-node/index.ts";
import { setLogLevel } from "../../src/log.ts";
import { fixtureApp } from "../fixtures/app.ts";
import { TestClient } from "../support/client.ts";

let server: RoomServer | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await server?.close();
  server = undefined;
  setLogLevel("silent");
});

const mask = [0, 0, 0, 0];
const BAD_FRAMES: Array<[string, Buffer, number]> = [
  ["invalid UTF-8 in a text frame", Buffer.from([0x81, 0x81, ...mask, 0xff]), 1007],
  ["a reserved opcode", Buffer.from([0x83, 0x80, ...mask]), 1002],
  ["an unmasked client frame", Buffer.from([0x81, 0x01, 0x61]), 1002],
  ["a frame past maxMessageBytes", Buffer.from([0x82, 0xfe, 0xff, 0xff, ...mask]), 1009],
];

/** Opens a raw WebSocket to `path`, writes `frame`, and returns the close code the server sent. */
function sendBadFrame(port: number, path: string, frame: Buffer): Promise<number | undefined> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let reply = Buffer.alloc(0);
    let wrote = false;
    socket.on("data", (chunk: Buffer) => {
      reply = Buffer.concat([reply, chunk]);
      const end = reply.indexOf("\r\n\r\n");
      if (end >= 0 && !wrote) {
        wrote = true;
        socket.write(frame);
      }
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      const body = reply.subarray(reply.indexOf("\r\n\r\n") + 4);
      resolve(body[0] === 0x88 && body.length >= 4 ? body.readUInt16BE(2) : undefined);
    });
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    );
  });
}

describe("protocol errors from clients (Node)", () => {
  it("each bad frame is closed with its RFC 6455 code and logged as one warn line, rate-limited, never at error", async () => {
    const warnings: string[] = [];
    const errors: unknown[][] = [];
    vi.spyOn(console, "warn").mockImplementation((...args: unknown[]) => void warnings.push(args.map(String).join(" ")));
    vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => void errors.push(args));
    server = await serveRooms(fixtureApp, { port: 0, dataDir: ":memory:", env: { ROOMKIT_LOG: "warn" }, limits: { maxMessageBytes: 1024 } });
    const port = Number(new URL(server.url).port);
    const watcher = await TestClient.open(server.url, "/probe/bad/ws");
    for (const [what, frame, code] of BAD_FRAMES) {
      for (let i = 0; i < 5; i++) expect(await sendBadFrame(port, "/probe/bad/ws", frame), what).toBe(code);
    }
    expect(errors).toEqual([]);
    // Twenty bad frames within a second: one line, naming the room and ws's error code.
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^\[roomkit\] client protocol error in room probe "bad", socket closed: WS_ERR_INVALID_UTF8 /);
    expect(warnings[0]).not.toContain("\n");
    // After the interval, the next one is logged again with the count of those left out.
    await new Promise((resolve) => setTimeout(resolve, 1050));
    expect(await sendBadFrame(port, "/probe/bad/ws", BAD_FRAMES[1]![1])).toBe(1002);
    expect(warnings).toHaveLength(2);
    expect(warnings[1]).toContain("WS_ERR_INVALID_OPCODE");
    expect(warnings[1]).toContain("and 19 more");
    // The room and its other client were untouched.
    await vi.waitFor(() => expect(server!.registry.connectionCount("probe", "bad")).toBe(1));
    watcher.send({ cmd: "whoami" });
    expect(await watcher.nextMatching((f: any) => f.re === "whoami")).toBeTruthy();
    watcher.close();
  });
});
