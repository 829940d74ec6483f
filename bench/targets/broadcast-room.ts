// The bench's bare room: relays a frame to every other connection of the room, exactly what the raw
// baselines do — so that the difference is what roomkit itself costs.
import type { Connection, FrameData, Room, RoomHost } from "../../src/room.ts";

export class BroadcastRoom implements Room {
  constructor(readonly host: RoomHost) {}

  onMessage(connection: Connection, data: FrameData): void {
    this.host.broadcast(data, { except: [connection.id] });
  }
}
