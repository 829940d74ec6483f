// The core (src/) must run on any runtime: Web-standard APIs only, never a runtime's module.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../src", import.meta.url));
const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? files(join(dir, entry.name)) : entry.name.endsWith(".ts") ? [join(dir, entry.name)] : []));

// Import/export statements (line-anchored, so a module name inside a string does not count) and dynamic imports.
const FORBIDDEN = /(?:^\s*(?:import|export)\b[^;]*?\bfrom\s+|^\s*import\s+|\bimport\s*\(\s*)["'](node:[^"']+|ws|better-sqlite3|cloudflare:[^"']+|@hono\/node-server[^"']*|(?:\.\.\/)+runtime-[^"']+)["']/gm;

describe("src/ imports nothing runtime-specific", () => {
  it("has no node:, ws, better-sqlite3, cloudflare: or runtime-* import", () => {
    const offenders = files(root).flatMap((file) =>
      [...readFileSync(file, "utf8").matchAll(FORBIDDEN)].map((match) => `${relative(root, file)}: ${match[1]}`),
    );
    expect(files(root).length).toBeGreaterThan(5);
    expect(offenders).toEqual([]);
  });
});
