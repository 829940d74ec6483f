// Browser tests of the chat page, one factory run per runtime (like test/contract/suite.ts): real
// Chromium, real server, the page exactly as `/` serves it. Screenshots: test/.artifacts/screenshots/.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { chatPage } from "../../examples/chat/page.ts";
import { roomName } from "../contract/context.ts";
import type { RunningRuntime, RuntimeStarter } from "roomkit/testing";
import { ChatPage, PHONE } from "./chat-page.ts";
import { hostArticlePage } from "./article-host.ts";
import { launchChromium, SCREENSHOTS } from "./chromium.ts";

const ARTICLE_PAGE = readFileSync(new URL("./fixtures/article.html", import.meta.url), "utf8");
const numbered = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);

export function browserSuite(handle: RuntimeStarter): void {
  describe(`browser: ${handle.name}`, () => {
    let rt: RunningRuntime;
    let browser: Browser;
    const open: ChatPage[] = [];
    const shot = (page: ChatPage, name: string) => page.screenshot(`${handle.name}-${name}`);
    const chat = async (query: string, name: string, viewport?: typeof PHONE) => {
      const page = await ChatPage.open(browser, `${rt.url}/${query}`, name, viewport);
      open.push(page);
      return page;
    };

    beforeAll(async () => {
      [rt, browser] = await Promise.all([handle.start({ env: { ROOMKIT_LOG: "silent" } }), launchChromium()]);
    });
    afterAll(async () => {
      await browser?.close();
      await rt?.stop();
    });
    afterEach(async () => {
      for (const page of open.splice(0)) {
        expect(page.errors, "uncaught errors in the page").toEqual([]);
        await page.close();
      }
    });

    it("serves the built page at /", async () => {
      const response = await fetch(`${rt.url}/`);
      expect(response.headers.get("content-type")).toMatch(/text\/html/);
      expect(await response.text()).toBe(chatPage);
    });

    it("two pages chat both ways, by keyboard, on a desktop and a phone-width screen, with nothing fetched from elsewhere", async () => {
      const room = roomName("duo");
      const ann = await chat(`?room=${room}`, "ann");
      const bob = await chat(`?room=${room}`, "bob", PHONE);
      await ann.say("hello bob");
      await bob.say("hi ann — from a small screen, with a line long enough to wrap");
      await ann.say("see you");
      await ann.waitForDelivered(3);
      await bob.waitForDelivered(3);
      const expected = ["hello bob", "hi ann — from a small screen, with a line long enough to wrap", "see you"];
      for (const page of [ann, bob]) {
        expect(await page.texts()).toEqual(expected);
        expect((await page.lines()).map((line) => line.user)).toEqual(["ann", "bob", "ann"]);
      }
      // Enter sent it and the cursor is still in the message box.
      expect(await bob.page.evaluate(() => document.activeElement?.id)).toBe("message");
      // Phone width: nothing wider than the screen.
      expect(await bob.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
      const origin = new URL(rt.url);
      for (const page of [ann, bob]) {
        for (const url of page.requests) expect(new URL(url).host, url).toBe(origin.host);
      }
      await shot(ann, "chat-desktop");
      await shot(bob, "chat-phone");

      // A third person arriving later gets the same history, once, in the same order.
      const late = await chat(`?room=${room}`, "cy");
      await late.waitForDelivered(3);
      expect(await late.lines()).toEqual(await ann.lines());
    });

    const whileSending = async (label: string, interrupt: (room: string) => Promise<void>) => {
      const room = roomName(label);
      const sender = await chat(`?room=${room}`, "ann");
      const reader = await chat(`?room=${room}`, "bob", PHONE);
      const messages = numbered("m", 30);
      let interrupted: Promise<void> | undefined;
      for (const [i, text] of messages.entries()) {
        if (i === 10) interrupted = interrupt(room);
        // Typing paces it: about one message per 100 ms, like a fast typist.
        await sender.say(text);
      }
      await interrupted;
      await reader.waitForDelivered(30);
      await sender.waitForDelivered(30);
      for (const page of [sender, reader]) {
        const lines = await page.lines();
        expect(lines.map((line) => line.text)).toEqual(messages);
        expect(lines.map((line) => line.seq)).toEqual(messages.map((_, i) => i + 1));
      }
      return { sender, reader };
    };

    it.skipIf(!handle.capabilities.restart)("the server restarts while one page keeps sending: every message arrives once, in order", async () => {
      const pages = await whileSending("restart", () => rt.restart!({ downtimeMs: 700 }));
      // The page showed the countdown while the server was away, and is connected again.
      for (const page of [pages.sender, pages.reader]) {
        expect((await page.statuses()).some((status) => /^reconnecting in \d+s$/.test(status))).toBe(true);
        await page.waitForStatus("connected");
      }
      await shot(pages.reader, "after-restart-phone");
    });

    it("the room's object is evicted while one page keeps sending: every message arrives once, in order", async () => {
      const pages = await whileSending("evict", async (room) => {
        expect(await rt.hibernate("chat", room)).toBe(true);
      });
      await shot(pages.sender, "after-eviction-desktop");
    });

    // Cloudflare's eviction keeps the sockets open: only a restart makes the page go away and back.
    it.skipIf(!handle.capabilities.restart)("shows the countdown and the retry button while the server is away", async () => {
      const page = await chat(`?room=${roomName("away")}`, "ann");
      const restarting = rt.restart!({ downtimeMs: 1500 });
      await page.page.waitForFunction(() => /^reconnecting in \d+s$/.test(document.getElementById("status-text")!.textContent!), null, { polling: 20 });
      await page.say("typed while away");
      expect(await page.page.locator("#pending li").count()).toBe(1);
      expect(await page.page.getByRole("button", { name: "Reconnect now" }).isVisible()).toBe(true);
      await shot(page, "reconnecting-desktop");
      await restarting;
      await page.waitForDelivered(1);
      expect(await page.texts()).toEqual(["typed while away"]);
    });

    it("a page written for the article works against the chat example", async () => {
      const host = await hostArticlePage(ARTICLE_PAGE, rt.url);
      const context = await browser.newContext();
      const article = await context.newPage();
      const errors: string[] = [];
      article.on("pageerror", (error) => errors.push(String(error)));
      try {
        await article.goto(host.url);
        // The article keeps its socket in a top-level `let`: reachable by name, not as a property of window.
        await article.waitForFunction("typeof ws !== 'undefined' && ws.readyState === 1", null, { polling: 20 });
        const ours = await chat("", "ann"); // no ?room: the article's global room, at /ws
        await ours.say("hello, article page");
        await article.waitForFunction(() => document.getElementById("messages")!.textContent!.includes("hello, article page"), null, { polling: 20 });
        await article.locator("#user").fill("reader");
        await article.locator("#message").fill("hello from 2025");
        await article.locator("#message").press("Enter");
        await ours.waitForDelivered(2);
        expect((await ours.lines()).slice(-2).map((line) => `${line.user}: ${line.text}`)).toEqual(["ann: hello, article page", "reader: hello from 2025"]);
        const shown = await article.$$eval("#messages li", (items) => items.map((li) => li.textContent!));
        expect(shown.at(-1)).toBe("ann: hello, article page");
        // Never a frame without user and message (acks, notices) for a client that did not ask.
        for (const line of shown) expect(line).not.toMatch(/undefined/);
        await article.screenshot({ path: join(SCREENSHOTS, `${handle.name}-article-page.png`) });
        expect(errors).toEqual([]);
      } finally {
        await context.close();
        await host.close();
      }
    });
  });
}
