// The committed page must be what its sources build to: `npm start`, the Cloudflare bundle and the
// tests all serve page.generated.ts without a build step, so a stale one would go unnoticed.
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { GENERATED_PATH, renderPageModule } from "../../scripts/build-page.ts";
import { exampleApp } from "../../examples/chat/app.ts";

describe("chat page build", () => {
  it("page.generated.ts is up to date with examples/chat/page and the client (else: npm run build:page)", async () => {
    const fresh = (await readFile(GENERATED_PATH, "utf8")) === (await renderPageModule());
    // A boolean, not the two strings: a diff of a minified bundle helps nobody.
    expect(fresh, "examples/chat/page.generated.ts is stale: run `npm run build:page`").toBe(true);
  });

  it("is the page the example app serves, and references nothing outside itself", () => {
    const page = exampleApp.page!;
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).not.toMatch(/\b(src|href)=["']?(https?:)?\/\//i);
    expect(page).not.toMatch(/@import|url\(\s*["']?(https?:)?\/\//i);
    expect(page.length).toBeLessThan(64 * 1024);
  });
});
