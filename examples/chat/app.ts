// The example deployment served by `npm start` (Node) and `npm run start:cloudflare` (workerd).
import { defineApp } from "roomkit";
import { ChatRoom } from "./chat.ts";
import { chatPage } from "./page.ts";
import { PollRoom } from "./poll.ts";

export { PollRoom, type PollInput, type PollResult, type PollState } from "./poll.ts";
export { ChatRoom, parseChatInput, type ChatInput, type ChatMessage, type ChatNotice } from "./chat.ts";

export const exampleApp = defineApp({
  rooms: { chat: ChatRoom, poll: PollRoom },
  routes: [
    { path: "/ws", room: "chat", name: "global-chat-room" },
    { path: "/rooms/:name/ws", room: "chat" },
    { path: "/polls/:name/ws", room: "poll" },
  ],
  page: chatPage,
});
