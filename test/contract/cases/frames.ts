// Frames that break RFC 6455, written on a raw TCP socket (no client library would send them). Node
// (ws) fails the connection as the RFC says; workerd is more lenient, and since it parses the frames
// before a Durable Object sees anything, roomkit cannot change that (docs/CLOUDFLARE.md). Each case
// states what each runtime does, through the capability flag `strictFrames`.
import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import { TestClient } from "../../support/client.ts";
import { roomName, type SuiteContext } from "../context.ts";

interface Observed {
  /** Close code of the server's Close frame, if it sent one. */
  closeCode?: number;
  /** Text frames the server sent. */
  texts: string[];
}

/** Client frame bytes: FIN set, `opcode`, masked with a zero key unless `masked` is false. */
function frame(opcode: number, payload: Buffer, masked = true): Buffer {
  if (payload.length > 125) throw new Error("short frames only");
  const head = Buffer.from([0x80 | opcode, (masked ? 0x80 : 0) | payload.length]);
  return Buffer.concat([head, masked ? Buffer.alloc(4) : Buffer.alloc(0), payload]);
}

function parseServerFrames(bytes: Buffer): Observed {
  const observed: Observed = { texts: [] };
  let at = 0;
  while (at + 2 <= bytes.length) {
    const opcode = bytes[at]! & 0x0f;
    let length = bytes[at + 1]! & 0x7f;
    let start = at + 2;
    if (length === 126) {
      length = bytes.readUInt16BE(at + 2);
      start = at + 4;
    }
    if (start + length > bytes.length) break;
    const payload = bytes.subarray(start, start + length);
    if (opcode === 0x1) observed.texts.push(payload.toString());
    if (opcode === 0x8) observed.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
    at = start + length;
  }
  return observed;
}

/** Upgrades a raw socket to `url`, writes `frames`, and reports what the server sent within `waitMs`. */
function rawExchange(url: string, frames: Buffer[], waitMs = 1500): Promise<Observed> {
  const { hostname, port, pathname } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let received = Buffer.alloc(0);
    let upgraded = -1;
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(parseServerFrames(upgraded >= 0 ? received.subarray(upgraded) : Buffer.alloc(0)));
    };
    const timer = setTimeout(finish, waitMs);
    socket.on("error", reject);
    socket.on("close", finish);
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (upgraded >= 0) return;
      const end = received.indexOf("\r\n\r\n");
      if (end < 0) return;
      if (!received.subarray(0, 12).toString().includes("101")) return reject(new Error(`not upgraded: ${received.toString()}`));
      upgraded = end + 4;
      for (const bytes of frames) socket.write(bytes);
    });
    socket.write(
      `GET ${pathname} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    );
  });
}

const command = (body: object) => Buffer.from(JSON.stringify(body));

export function framesCases(ctx: SuiteContext): void {
  const strict = ctx.handle.capabilities.strictFrames;
  describe(`client frames that break RFC 6455 (capability: strictFrames = ${strict})`, () => {
    it(strict ? "an unmasked frame closes the connection with 1002" : "workerd: an unmasked frame is accepted and reaches the room", async () => {
      const name = roomName("unmasked");
      const observed = await rawExchange(`${ctx.rt.url}/probe/${name}/ws`, [frame(0x1, command({ cmd: "whoami" }), false)]);
      if (strict) expect(observed).toEqual({ closeCode: 1002, texts: [] });
      else expect(observed.texts.map((text) => JSON.parse(text).re)).toEqual(["whoami"]);
    });

    it(strict ? "invalid UTF-8 in a text frame closes it with 1007 and nothing is relayed" : "workerd: invalid UTF-8 is relayed to the room, decoded with U+FFFD", async () => {
      const name = roomName("utf8");
      const watcher = await TestClient.open(ctx.rt.url, `/probe/${name}/ws`);
      const bad = Buffer.concat([Buffer.from('{"cmd":"broadcast","data":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
      const observed = await rawExchange(`${ctx.rt.url}/probe/${name}/ws`, [frame(0x1, bad)]);
      if (strict) {
        expect(observed).toEqual({ closeCode: 1007, texts: [] });
        // The watcher hears of the error and the close, never of the frame's content.
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(watcher.pendingJson().filter((f: any) => f.type === "broadcast")).toEqual([]);
      } else {
        expect(observed.closeCode).toBeUndefined();
        expect(await watcher.nextMatching((f: any) => typeof f.data === "string")).toMatchObject({ data: "\ufffd\ufffd" });
      }
      watcher.close();
    });

    for (const code of [999, 1004, 1016, 2999]) {
      it(`a Close frame with code ${code}, which no endpoint may send, is answered with 1002`, async () => {
        const payload = Buffer.alloc(2);
        payload.writeUInt16BE(code);
        const observed = await rawExchange(`${ctx.rt.url}/probe/${roomName("closecode")}/ws`, [frame(0x8, payload)]);
        expect(observed.closeCode).toBe(1002);
      });
    }

    // workerd hands the object 1005 for an empty Close frame and for one carrying 1005 alike.
    it(`a Close frame carrying 1005 is answered with ${strict ? "1002" : "1000 (workerd: indistinguishable from an empty Close)"}`, async () => {
      const payload = Buffer.alloc(2);
      payload.writeUInt16BE(1005);
      const observed = await rawExchange(`${ctx.rt.url}/probe/${roomName("closecode")}/ws`, [frame(0x8, payload)]);
      expect(observed.closeCode).toBe(strict ? 1002 : 1000);
    });
  });
}
