// The chat page as a test drives it: through the keyboard and what is on screen, nothing else.
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { SCREENSHOTS } from "./chromium.ts";

export interface Line {
  seq: number;
  user: string;
  text: string;
}

export const DESKTOP = { width: 1000, height: 700 };
export const PHONE = { width: 360, height: 640 };

export class ChatPage {
  /** Uncaught exceptions in the page: every test expects none. */
  readonly errors: string[] = [];
  /** Every URL the page fetched or opened a socket to. */
  readonly requests: string[] = [];

  private constructor(
    readonly context: BrowserContext,
    readonly page: Page,
  ) {
    page.on("pageerror", (error) => this.errors.push(String(error)));
    page.on("request", (request) => this.requests.push(request.url()));
    page.on("websocket", (socket) => this.requests.push(socket.url()));
  }

  /** A fresh browser context (own storage), as a second person on a second device. */
  static async open(browser: Browser, url: string, name: string, viewport = DESKTOP): Promise<ChatPage> {
    const context = await browser.newContext({ viewport, isMobile: viewport.width < 500, hasTouch: viewport.width < 500 });
    const chat = new ChatPage(context, await context.newPage());
    await chat.page.goto(url);
    await chat.page.getByRole("textbox", { name: "Name" }).fill(name);
    await chat.waitForStatus("connected");
    await chat.page.evaluate(() => {
      // Remember every status shown, so a test can tell the page went through "reconnecting in Ns".
      const status = document.getElementById("status-text")!;
      const seen: string[] = ((window as any).__statuses = [status.textContent]);
      new MutationObserver(() => seen.push(status.textContent!)).observe(status, { childList: true, characterData: true, subtree: true });
    });
    return chat;
  }

  /** Types a message and presses Enter, as a person would. */
  async say(text: string): Promise<void> {
    const box = this.page.getByRole("textbox", { name: "Message" });
    await box.fill(text);
    await box.press("Enter");
  }

  /** Delivered messages on screen, top to bottom. */
  lines(): Promise<Line[]> {
    return this.page.$$eval("#log li[data-seq]", (items) =>
      items.map((li) => ({
        seq: Number((li as HTMLElement).dataset.seq),
        user: li.querySelector(".user")!.textContent!,
        text: li.querySelector(".text")!.textContent!,
      })),
    );
  }

  async texts(): Promise<string[]> {
    return (await this.lines()).map((line) => line.text);
  }

  /** Waits until `count` messages are delivered and none of ours is still waiting for its ack. */
  async waitForDelivered(count: number, timeout = 20_000): Promise<void> {
    await this.page.waitForFunction(
      (n) => document.querySelectorAll("#log li[data-seq]").length >= n && document.querySelectorAll("#pending li").length === 0,
      count,
      { timeout, polling: 20 },
    );
  }

  async waitForStatus(text: string, timeout = 20_000): Promise<void> {
    await this.page.waitForFunction((t) => document.getElementById("status-text")?.textContent === t, text, { timeout, polling: 20 });
  }

  statuses(): Promise<string[]> {
    return this.page.evaluate(() => (window as any).__statuses as string[]);
  }

  async screenshot(name: string): Promise<string> {
    const path = join(SCREENSHOTS, `${name}.png`);
    await this.page.screenshot({ path });
    return path;
  }

  close(): Promise<void> {
    return this.context.close();
  }
}
