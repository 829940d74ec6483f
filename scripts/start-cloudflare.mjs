// `npm run start:cloudflare [-- <wrangler dev args>]`: the example app under `wrangler dev`, i.e. a
// local workerd with the same Durable Objects, hibernation and SQLite storage as a deployment.
// PORT (default 8787) and HOST (default 127.0.0.1) as for `npm start`; anything after `--`
// (for example `--var ROOMKIT_LOG:info`) is passed to `wrangler dev` as is.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const wrangler = join(dirname(createRequire(import.meta.url).resolve("wrangler/package.json")), "bin", "wrangler.js");
const args = [
  wrangler,
  "dev",
  "--ip", process.env.HOST ?? "127.0.0.1",
  "--port", process.env.PORT ?? "8787",
  // A plain log, not the key-shortcut UI: this is also run by scripts and CI.
  "--show-interactive-dev-session=false",
  ...process.argv.slice(2),
];

const child = spawn(process.execPath, args, {
  cwd: root,
  stdio: "inherit",
  // Offline by default: no usage metrics are sent from local runs.
  env: { WRANGLER_SEND_METRICS: "false", ...process.env },
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
