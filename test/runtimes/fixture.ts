// The fixture app on both runtimes, started through roomkit/testing as any user's suite would.
import { fileURLToPath } from "node:url";
import { nodeRuntime, runtimes, workerdRuntime, type RuntimeStarter } from "roomkit/testing";
import { fixtureApp } from "../fixtures/app.ts";

const quiet = (env: Record<string, string> = {}) => ({ ROOMKIT_LOG: "silent", ...env });

export const fixtureRuntimes = runtimes({
  node: (options) => nodeRuntime(fixtureApp, { ...options, env: quiet(options.env) }),
  workerd: (options) => workerdRuntime({ config: fileURLToPath(new URL("./wrangler.toml", import.meta.url)), env: quiet(options.env), onLog: options.onLog }),
});
export const [nodeFixture, workerdFixture] = fixtureRuntimes as [RuntimeStarter, RuntimeStarter];
