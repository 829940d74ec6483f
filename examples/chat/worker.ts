// The example's Worker entry (wrangler.toml `main`): one Durable Object class per room type. The class
// names exported here are the ones wrangler.toml binds and migrates.
import { createWorker } from "roomkit/cloudflare";
import { exampleApp } from "./app.ts";

const { worker, objects } = createWorker(exampleApp, { chat: "CHAT_ROOM", poll: "POLL_ROOM" });

export default worker;
export const ChatRoom = objects.chat;
export const PollRoom = objects.poll;
