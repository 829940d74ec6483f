// How every workerd instance in this repo is built, for the contract suite and the bench alike:
// the compatibility settings of wrangler.toml (so what runs is what `wrangler deploy` ships) and one
// esbuild bundle of a generated Worker entry.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = resolve(fileURLToPath(new URL(".", import.meta.url)), "../..");

/** wrangler.toml's compatibility date and flags, as Miniflare options. */
export function wranglerCompatibility(): { compatibilityDate: string; compatibilityFlags: string[] } {
  const toml = readFileSync(join(root, "wrangler.toml"), "utf8");
  const date = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1];
  if (!date) throw new Error("wrangler.toml has no compatibility_date");
  const flags = /^compatibility_flags\s*=\s*\[([^\]]*)\]/m.exec(toml)?.[1];
  return { compatibilityDate: date, compatibilityFlags: flags ? [...flags.matchAll(/"([^"]+)"/g)].map((m) => m[1]!) : [] };
}

/** Bundles a generated entry (module source, imports resolved from `resolveDir`) into `outfile`. */
export async function bundleWorker(entry: string, resolveDir: string, outfile: string): Promise<string> {
  await build({
    stdin: { contents: entry, resolveDir, sourcefile: "entry.ts", loader: "ts" },
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    mainFields: ["module", "main"],
    conditions: ["workerd", "worker", "browser"],
    external: ["cloudflare:*"],
    outfile,
    logLevel: "error",
  });
  return outfile;
}
