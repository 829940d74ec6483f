// What server.rooms() lists: public, so kept apart from the registry (whose types name ws's).
/** One live room of a Node server, as an operator sees it (`server.rooms()`). */
export interface RoomInfo {
  /** The room type: its key in the app's `rooms`. */
  readonly type: string;
  readonly name: string;
  /** Open sockets, counted while the room hibernates too. */
  readonly connections: number;
  /** False while the room hibernates: its instance is dropped, its sockets stay open. */
  readonly awake: boolean;
  /** When the room's last event (connect, message, close, alarm) started or ended, in ms since the epoch; heartbeats do not count. */
  readonly lastEventAt: number;
}
