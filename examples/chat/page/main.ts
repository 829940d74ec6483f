// The chat page's script, bundled into the page at build time (scripts/build-page.ts): roomkit's
// client does reconnecting, resuming and buffering; this file only wires it to the document.
import { connectChat, DEFAULT_CHAT_ROOM } from "roomkit/client";
import { CHAT_LIMITS } from "../chat.ts";
import { StatusLine } from "./status.ts";
import { MessageLog } from "./view.ts";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const NAME_KEY = "roomkit-user";

const room = new URLSearchParams(location.search).get("room") || DEFAULT_CHAT_ROOM;
const roomInput = $<HTMLInputElement>("room");
roomInput.value = room;
document.title = `${room} · roomkit chat`;

const user = $<HTMLInputElement>("user");
const input = $<HTMLInputElement>("message");
const notice = $<HTMLParagraphElement>("notice");
user.maxLength = CHAT_LIMITS.userLength;
input.maxLength = CHAT_LIMITS.messageLength;
user.value = storage()?.getItem(NAME_KEY) || `guest-${Math.floor(Math.random() * 1000)}`;

const view = new MessageLog($<HTMLOListElement>("log"), $<HTMLOListElement>("pending"));
const client = connectChat({ room });
new StatusLine($("status"), $("status-text"), $<HTMLButtonElement>("retry"), client);

// Styling only: after a reload, our earlier messages come back as history under our name.
client.on("message", ({ data }) => view.add(data, data.user === user.value.trim()));
client.on("ack", ({ id, data, seq, timestamp }) => {
  view.removePending(id);
  view.add({ ...data, seq, timestamp }, true);
});
client.on("gap", ({ from, to }) => view.info(`${to - from + 1} earlier message(s) are no longer available`));
client.on("error", (error) => {
  if (error.id) view.removePending(error.id);
  if (error.willRetry) return say("Sending too fast: the server asked us to slow down; retrying.");
  if (error.code === "buffer_full") return say("Not sent: too many messages are waiting for the connection.");
  if (error.data) return say(`Not sent (${error.code}): ${error.detail}`);
  if (error.code === "history_reset") view.info("The room's history was reset.");
});

$<HTMLFormElement>("send-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const data = { user: user.value.trim(), message: input.value.trim() };
  if (!data.user || !data.message) return;
  storage()?.setItem(NAME_KEY, data.user);
  const id = client.send(data);
  if (id === null) return; // buffer full: keep the text so nothing typed is lost
  view.addPending(id, data);
  input.value = "";
  say("");
  input.focus();
});

// A device back on the network should not wait out the backoff, nor stay given up.
addEventListener("online", () => client.state !== "open" && client.reconnect());
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible" && client.state === "closed") client.reconnect();
});

function say(text: string): void {
  notice.textContent = text;
  notice.hidden = text === "";
}

/** localStorage throws in some private modes; the page works without it. */
function storage(): Storage | null {
  try {
    return localStorage;
  } catch {
    return null;
  }
}
