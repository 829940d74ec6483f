import { fileURLToPath } from "node:url";
import { configDefaults, defineConfig } from "vitest/config";

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  // The package's entries resolve to their sources inside this repo, as tsconfig.json's `paths` say.
  resolve: {
    alias: [
      { find: /^roomkit$/, replacement: source("./src/index.ts") },
      { find: /^roomkit\/node$/, replacement: source("./runtime-node/index.ts") },
      { find: /^roomkit\/cloudflare$/, replacement: source("./runtime-cloudflare/index.ts") },
      { find: /^roomkit\/client$/, replacement: source("./src/client/index.ts") },
      { find: /^roomkit\/testing$/, replacement: source("./testing/index.ts") },
    ],
  },
  test: {
    include: ["test/**/*.test.ts"],
    // The consumer project's own suite runs inside the temp project that installs the tarball.
    exclude: [...configDefaults.exclude, "test/consumer/project/**"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
