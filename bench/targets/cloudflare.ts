// roomkit's Cloudflare runtime as a bench target: the bench app built into a Worker with one Durable
// Object class per room type. Filled in once runtime-cloudflare/ exists and its tests pass.
import type { Miniflare } from "miniflare";

export async function roomkitWorkerOptions(): Promise<ConstructorParameters<typeof Miniflare>[0]> {
  throw new Error("roomkit's Cloudflare runtime is not available yet (runtime-cloudflare/ is being written)");
}
