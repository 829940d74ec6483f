// workerdRuntime's peers, loaded on first use so that importing roomkit/testing for nodeRuntime
// alone needs none of them. One line says what to install when one is missing or too old.
const INSTALL = "npm install -D --save-exact miniflare@4.20260730.0 wrangler@4.86.0 esbuild";

async function load<T>(name: string, importer: () => Promise<T>): Promise<T> {
  try {
    return await importer();
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") {
      throw new Error(`roomkit/testing's workerdRuntime needs the package "${name}", which is not installed: ${INSTALL}`, { cause: error });
    }
    throw error;
  }
}

export interface WorkerdPeers {
  Miniflare: typeof import("miniflare").Miniflare;
  esbuild: typeof import("esbuild");
  wrangler: typeof import("wrangler");
}

export async function loadWorkerdPeers(): Promise<WorkerdPeers> {
  const [miniflare, esbuild, wrangler] = await Promise.all([
    load("miniflare", () => import("miniflare")),
    load("esbuild", () => import("esbuild")),
    load("wrangler", () => import("wrangler")),
  ]);
  if (typeof miniflare.Miniflare?.prototype.unsafeEvictDurableObject !== "function") {
    throw new Error(`roomkit/testing's workerdRuntime needs a miniflare with unsafeEvictDurableObject (this one is too old): ${INSTALL}`);
  }
  if (typeof wrangler.unstable_getMiniflareWorkerOptions !== "function" || typeof wrangler.unstable_readConfig !== "function") {
    throw new Error(`roomkit/testing's workerdRuntime needs wrangler's unstable_readConfig and unstable_getMiniflareWorkerOptions: ${INSTALL}`);
  }
  return { Miniflare: miniflare.Miniflare, esbuild, wrangler };
}
