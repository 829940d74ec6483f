// The app every roomkit target serves in the bench: the bare BroadcastRoom at /bare/:name/ws and
// the chat example as shipped at /rooms/:name/ws (the route it ships with).
import { defineApp } from "../../src/router.ts";
import { ChatRoom } from "../../examples/chat/chat.ts";
import { BroadcastRoom } from "./broadcast-room.ts";

export const benchApp = defineApp({
  rooms: { bare: BroadcastRoom, chat: ChatRoom },
  routes: [
    { path: "/bare/:name/ws", room: "bare" },
    { path: "/rooms/:name/ws", room: "chat" },
  ],
});
