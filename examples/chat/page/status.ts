// The connection line: connected / reconnecting in Ns / offline, with a button to retry now.
import type { ChatClient } from "roomkit/client";

type Shown = "connecting" | "connected" | "reconnecting" | "offline";

export class StatusLine {
  private countdown: ReturnType<typeof setInterval> | undefined;
  private why = "";

  constructor(
    private readonly box: HTMLElement,
    private readonly text: HTMLElement,
    private readonly retry: HTMLButtonElement,
    private readonly client: ChatClient,
  ) {
    retry.addEventListener("click", () => client.reconnect());
    client.on("open", () => this.render());
    client.on("synced", () => this.render());
    client.on("reconnecting", () => this.render());
    client.on("close", (event) => {
      this.why = event.terminal ? `refused (${event.code}${event.reason ? `: ${event.reason}` : ""})` : event.gaveUp ? "gave up after repeated failures" : "";
      this.render();
    });
    this.render();
  }

  render(): void {
    clearInterval(this.countdown);
    this.countdown = undefined;
    const state = this.client.state;
    if (state === "waiting") {
      this.show("reconnecting", this.reconnectingText());
      // Each second the count goes down; once the attempt starts (no event for that), render anew.
      this.countdown = setInterval(() => (this.client.state === "waiting" ? this.show("reconnecting", this.reconnectingText()) : this.render()), 1000);
    } else if (state === "open") this.show("connected", "connected");
    else if (state === "connecting") this.show("connecting", "connecting…");
    else this.show("offline", this.why ? `offline — ${this.why}` : "offline");
  }

  private reconnectingText(): string {
    const at = this.client.retryAt;
    const seconds = at === null ? 0 : Math.max(0, Math.ceil((at - Date.now()) / 1000));
    return `reconnecting in ${seconds}s`;
  }

  private show(state: Shown, text: string): void {
    this.box.dataset.state = state;
    if (this.text.textContent !== text) this.text.textContent = text;
    this.retry.hidden = state === "connected" || state === "connecting";
  }
}
