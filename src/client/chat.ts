// The chat example's protocol on the client side: its types (one definition, shared with the
// room) and a constructor that knows its URLs.
import type { ChatInput, ChatMessage } from "../rooms/chat.ts";
import { RoomClient } from "./client.ts";
import type { ClientOptions } from "./types.ts";

export type { ChatInput, ChatMessage, ChatNotice } from "../rooms/chat.ts";

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
  const base = server ?? (typeof location === "undefined" ? undefined : location.href);
  if (base === undefined) throw new TypeError("connectChat: pass `server` outside a browser");
  return new RoomClient<ChatMessage, ChatOutgoing>({ ...rest, url: new URL(chatPath(room), base), resume: true });
}
