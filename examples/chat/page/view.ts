// The message list: delivered messages in seq order (the order every participant sees), and below
// them our own messages still waiting for the server's ack.
import type { ChatMessage, ChatOutgoing } from "roomkit/client";

const time = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

export class MessageLog {
  private readonly scroller: HTMLElement;

  constructor(
    private readonly log: HTMLOListElement,
    private readonly pending: HTMLOListElement,
  ) {
    this.scroller = log.parentElement!;
  }

  /** A delivered message, ours (acked) or anybody's, placed by seq. */
  add(message: Pick<ChatMessage, "user" | "message" | "seq" | "timestamp">, own: boolean): void {
    const item = entry(message.user, message.message, own);
    item.dataset.seq = String(message.seq);
    const stamp = item.querySelector("time")!;
    stamp.dateTime = new Date(message.timestamp).toISOString();
    stamp.textContent = time.format(message.timestamp);
    this.keepBottom(() => {
      // Nearly always appended; an ack can overtake nothing, but walking back keeps order certain.
      let before: Element | null = null;
      for (let node = this.log.lastElementChild; node; node = node.previousElementSibling) {
        const seq = Number((node as HTMLElement).dataset.seq);
        if (!(seq > message.seq)) break;
        before = node;
      }
      this.log.insertBefore(item, before);
    });
  }

  addPending(id: string, data: ChatOutgoing): void {
    const item = entry(data.user, data.message, true);
    item.dataset.id = id;
    this.keepBottom(() => this.pending.append(item));
  }

  removePending(id: string): void {
    this.pending.querySelector(`[data-id="${CSS.escape(id)}"]`)?.remove();
  }

  info(text: string): void {
    const item = document.createElement("li");
    item.className = "info";
    item.textContent = text;
    this.keepBottom(() => this.log.append(item));
  }

  /** Follow new messages only if the reader was already at the bottom. */
  private keepBottom(change: () => void): void {
    const s = this.scroller;
    const atBottom = s.scrollHeight - s.scrollTop - s.clientHeight < 40;
    change();
    if (atBottom) s.scrollTop = s.scrollHeight;
  }
}

function entry(user: string, text: string, own: boolean): HTMLLIElement {
  const item = document.createElement("li");
  if (own) item.className = "own";
  const who = document.createElement("span");
  who.className = "user";
  who.textContent = user;
  const body = document.createElement("span");
  body.className = "text";
  body.textContent = text;
  item.append(who, body, document.createElement("time"));
  return item;
}
