// The fixture app as a user's Worker entry: what roomkit/testing's workerdRuntime runs for the
// contract, client and browser suites, with the bindings of ./wrangler.toml.
import { createWorker } from "roomkit/cloudflare";
import { fixtureApp } from "../fixtures/app.ts";

const rooms = createWorker(fixtureApp, { chat: "CHAT_ROOM", poll: "POLL_ROOM", probe: "PROBE_ROOM", leaky: "LEAKY_ROOM", fragile: "FRAGILE_ROOM" });

export default rooms.worker;
export const ChatRoom = rooms.objects.chat;
export const PollRoom = rooms.objects.poll;
export const ProbeRoom = rooms.objects.probe;
export const LeakyRoom = rooms.objects.leaky;
export const FragileRoom = rooms.objects.fragile;
