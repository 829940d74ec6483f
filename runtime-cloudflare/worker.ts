// The deployable entry (wrangler.toml `main`): the example app, one Durable Object class per room
// type. The class names exported here are the ones wrangler.toml binds and migrates.
import { exampleApp } from "../src/rooms/index.ts";
import { createWorker } from "./create-worker.ts";

const { worker, objects } = createWorker(exampleApp, { chat: "CHAT_ROOM", poll: "POLL_ROOM" });

export default worker;
export const ChatRoom = objects.chat;
export const PollRoom = objects.poll;
