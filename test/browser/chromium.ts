// Debian's Chromium driven by playwright-core. Never a downloaded browser: if /usr/bin/chromium is
// missing, install the `chromium` package (.ci/run does).
import { existsSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { chromium, type Browser } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";
/** Where the browser tests write their screenshots (gitignored). */
export const SCREENSHOTS = fileURLToPath(new URL("../.artifacts/screenshots/", import.meta.url));

// Headless and as root: no sandbox; nothing that would reach the network on its own.
const ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

/** Each launch runs on a fresh profile (playwright's own temporary --user-data-dir, removed on close). */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install -y chromium (never download a browser)`);
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
}
