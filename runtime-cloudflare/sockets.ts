// The Durable Object's side of the SocketBackend strategy. Nothing is kept here that matters after
// an eviction: the socket list comes from ctx.getWebSockets() on every call, and each socket's
// id, tags and state live in its attachment, which workerd keeps while the object is gone.
import type { Attachment, SocketBackend } from "../src/active-room.ts";
import { RoomkitError } from "../src/errors.ts";
import { PLATFORM_MAX_STATE_BYTES } from "../src/limits.ts";
import type { OutgoingData } from "../src/room.ts";
import { refusal, serializedSize } from "./attachment-size.ts";

const OPEN = 1;
const CLOSED = 3;

export class HibernatableSockets implements SocketBackend<WebSocket> {
  // workerd still lists a socket while its webSocketClose handler runs; the room must not see it.
  private readonly gone = new WeakSet<WebSocket>();

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly room: () => string,
    /** `limits.maxStateBytes`: workerd enforces its own 16 KiB; a lower limit is measured here. */
    private readonly maxStateBytes: number = PLATFORM_MAX_STATE_BYTES,
  ) {}

  /** The socket's end is being reported to the room: stop listing it. False if it already was. */
  forget(socket: WebSocket): boolean {
    if (this.gone.has(socket)) return false;
    this.gone.add(socket);
    return true;
  }

  sockets(tag?: string): WebSocket[] {
    return this.ctx.getWebSockets(tag).filter((socket) => socket.readyState !== CLOSED && !this.gone.has(socket));
  }

  count(tag?: string): number {
    return this.sockets(tag).length;
  }

  attachment(socket: WebSocket): Attachment {
    return socket.deserializeAttachment() as Attachment;
  }

  setAttachment(socket: WebSocket, attachment: Attachment): void {
    try {
      if (this.maxStateBytes < PLATFORM_MAX_STATE_BYTES) {
        const size = serializedSize(attachment);
        if (size > this.maxStateBytes) throw tooLarge(size, this.maxStateBytes, this.room());
      }
      socket.serializeAttachment(attachment);
    } catch (error) {
      throw attachmentError(error, this.room());
    }
  }

  send(socket: WebSocket, data: OutgoingData): void {
    if (socket.readyState !== OPEN) return;
    socket.send(data);
  }

  /**
   * Straight over workerd's list, as a hand-written Durable Object would: no readyState read per
   * socket (each a call into workerd) — a socket that is closing fails its send, caught here —,
   * only the sockets whose close is being reported and `skip` left out.
   */
  broadcast(data: OutgoingData, tag: string | undefined, skip: readonly WebSocket[]): void {
    for (const socket of this.ctx.getWebSockets(tag)) {
      if (this.gone.has(socket) || skip.includes(socket)) continue;
      try {
        socket.send(data);
      } catch {
        // closing under us; its close event follows
      }
    }
  }

  close(socket: WebSocket, code?: number, reason?: string): void {
    socket.close(code, reason);
  }
}

/**
 * workerd enforces the 16 KiB attachment limit itself (on the V8-serialized size, as the Node
 * runtime measures it); its errors are turned into the same typed errors, with the same text, as
 * runtime-node/attachment.ts throws.
 */
export function attachmentError(error: unknown, room: string): unknown {
  if (error instanceof RoomkitError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const refused = refusal(error);
  if (refused) return tooLarge(refused.size, refused.limit, room, error);
  if (error instanceof Error && error.name === "DataCloneError") {
    return new RoomkitError("STATE_NOT_CLONEABLE", room, `connection state must be structured-cloneable: ${message}`, { cause: error });
  }
  return error;
}

function tooLarge(size: number, limit: number, room: string, cause?: unknown): RoomkitError {
  return new RoomkitError("STATE_TOO_LARGE", room, `connection attachment is ${size} bytes serialized; the limit is ${limit} bytes`, cause === undefined ? undefined : { cause });
}
