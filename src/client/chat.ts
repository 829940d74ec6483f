// The chat example's protocol on the client side: its types (one definition; the example room in
// examples/chat implements them) and a constructor that knows its URLs.
import { RoomClient } from "./client.ts";
import type { ClientOptions } from "./types.ts";

/** client → server */
export interface ChatInput {
  user: string;
  message: string;
  /** Optional client message id: a second message with the same id is acknowledged, not stored again. */
  cid?: string;
}
/** server → client: live messages and history alike */
export interface ChatMessage extends ChatInput {
  timestamp: number;
  seq: number;
}
/** server → extended clients (`?roomkit=1`) only */
export type ChatNotice =
  | { type: "ack"; seq: number; timestamp: number; cid?: string }
  | { type: "synced"; seq: number }
  | { type: "gap"; from: number; to: number }
  | { type: "error"; code: string; detail: string };


/** What the app sends; the client adds the `cid`. */
export type ChatOutgoing = Omit<ChatInput, "cid">;
export type ChatClient = RoomClient<ChatMessage, ChatOutgoing>;

/** The room the article's `/ws` route serves. */
export const DEFAULT_CHAT_ROOM = "global-chat-room";

/** `/ws` for the article's room, `/rooms/<name>/ws` for any other. */
export function chatPath(room?: string): string {
  return !room || room === DEFAULT_CHAT_ROOM ? "/ws" : `/rooms/${encodeURIComponent(room)}/ws`;
}

export interface ChatClientOptions extends Omit<ClientOptions, "url" | "resume"> {
  /** The server (`http(s)://host:port`); in a browser the page's own by default. */
  server?: string | URL;
  /** Room name; the article's global room by default. */
  room?: string;
}

export function connectChat(options: ChatClientOptions = {}): ChatClient {
  const { server, room, ...rest } = options;
  // A page's own origin in a browser; Node and Workers have no `location`.
  const base = server ?? (globalThis as { location?: { href: string } }).location?.href;
  if (base === undefined) throw new TypeError("connectChat: pass `server` outside a browser");
  return new RoomClient<ChatMessage, ChatOutgoing>({ ...rest, url: new URL(chatPath(room), base), resume: true });
}
