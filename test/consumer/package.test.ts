// roomkit as a user gets it: `npm pack`, the tarball installed into a new project in a temporary
// directory (no roomkit sources around it), and the user's own room (test/consumer/project, not the
// chat) built with the project's strictest tsc settings, run with plain `node`, and bundled for
// Cloudflare with `wrangler deploy --dry-run`.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestClient } from "../support/client.ts";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../..", import.meta.url));
const project = fileURLToPath(new URL("./project", import.meta.url));
const require = createRequire(import.meta.url);
const bin = (pkg: string, path: string) => join(dirname(require.resolve(`${pkg}/package.json`)), path);
const TSC = bin("typescript", "bin/tsc");
const WRANGLER = bin("wrangler", "bin/wrangler.js");
/** The versions this repo tests with, so that npm finds them in the cache `npm ci` filled. */
const version = (pkg: string): string => JSON.parse(readFileSync(join(root, "node_modules", pkg, "package.json"), "utf8")).version;
const NODE_PEERS = ["ws", "better-sqlite3", "@hono/node-server"];
const WORKERD_PEERS = ["miniflare", "wrangler", "esbuild"];

interface Packed {
  filename: string;
  size: number;
  unpackedSize: number;
  files: { path: string }[];
}

let work: string;
let tarball: string;
let packed: Packed;

/** `npm install` into `dir`, from npm's cache where it has the packages (it does after `npm ci`). */
async function install(dir: string, specs: string[]): Promise<void> {
  // --ignore-scripts: the one native module, better-sqlite3, is this machine's build of the same
  // version (copied below); compiling it again takes a minute and tests nothing of roomkit.
  await run("npm", ["install", "--prefer-offline", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error", ...specs], { cwd: dir });
  const native = join(root, "node_modules/better-sqlite3/build");
  if (existsSync(join(dir, "node_modules/better-sqlite3"))) cpSync(native, join(dir, "node_modules/better-sqlite3/build"), { recursive: true });
}

function newProject(name: string): string {
  const dir = join(work, name);
  mkdirSync(dir);
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: `consumer-${name}`, private: true, type: "module" }));
  return dir;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "roomkit-consumer-"));
  // prepack builds dist/ first, as it does for `npm publish`.
  const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", work], { cwd: root, maxBuffer: 16 * 1024 * 1024 });
  packed = (JSON.parse(stdout) as Packed[])[0]!;
  tarball = join(work, packed.filename);
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("the packed package", () => {
  it("ships built JavaScript, declarations, the README and the licence, nothing else", () => {
    const paths = packed.files.map((file) => file.path);
    const strays = paths.filter((path) => !path.startsWith("dist/") && !["package.json", "README.md", "LICENSE"].includes(path));
    expect(strays).toEqual([]);
    expect(paths.filter((path) => path.endsWith(".ts") && !path.endsWith(".d.ts"))).toEqual([]);
    expect(paths).toEqual(
      expect.arrayContaining(["LICENSE", "README.md", "dist/src/index.js", "dist/src/index.d.ts", "dist/runtime-node/index.js", "dist/runtime-cloudflare/index.js", "dist/src/client/index.js", "dist/testing/index.js", "dist/testing/index.d.ts"]),
    );
    console.log(`roomkit tarball: ${packed.files.length} files, ${(packed.size / 1024).toFixed(1)} KiB packed, ${(packed.unpackedSize / 1024).toFixed(1)} KiB unpacked`);
  });

  it("declares every package its built code imports", () => {
    const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
    const declared = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})]);
    const imported = new Set<string>();
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith(".js")) {
          for (const match of readFileSync(path, "utf8").matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?from\s*"([^".][^"]*)"|import\(\s*"([^".][^"]*)"\s*\)/g)) {
            const specifier = (match[1] ?? match[2])!;
            if (specifier.startsWith("node:") || specifier.startsWith("cloudflare:")) continue;
            imported.add(specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0]!);
          }
        }
      }
    };
    walk(join(root, "dist"));
    expect(imported.size).toBeGreaterThan(2);
    expect([...imported].filter((name) => !declared.has(name) && name !== "roomkit")).toEqual([]);
  });
});

describe("README.md", () => {
  it("shows the consumer project's files as they are, so the code it gives users is the code tested here", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    for (const file of ["room.ts", "server.ts", "worker.ts", "wrangler.toml", "mount-hono.ts", "mount-http.ts", "worker-hono.ts"]) {
      expect(readme, `README.md shows test/consumer/project/${file} verbatim`).toContain(readFileSync(join(project, file), "utf8").trim());
    }
    const testing = readFileSync(join(root, "docs/TESTING.md"), "utf8");
    expect(testing, "docs/TESTING.md shows test/consumer/project/scoreboard.test.ts verbatim").toContain(readFileSync(join(project, "scoreboard.test.ts"), "utf8").trim());
  });
});

describe("a Node project that installs the tarball", () => {
  let dir: string;
  const servers: ChildProcess[] = [];

  beforeAll(async () => {
    dir = newProject("node");
    cpSync(project, dir, { recursive: true });
    await install(dir, [tarball, ...[...NODE_PEERS, "hono", "@types/node"].map((name) => `${name}@${version(name)}`)]);
  }, 120_000);

  afterAll(() => {
    for (const server of servers) server.kill("SIGKILL");
  });

  it("type-checks with strict settings and skipLibCheck off, under NodeNext and Bundler resolution", async () => {
    await expect(run(process.execPath, [TSC, "-p", "tsconfig.json"], { cwd: dir })).resolves.toBeDefined();
    await expect(run(process.execPath, [TSC, "-p", "tsconfig.bundler.json"], { cwd: dir })).resolves.toBeDefined();
  }, 60_000);

  /** Starts one of the project's tsc-built entries with plain node; resolves with the URL it prints. */
  async function start(entry: string, env: Record<string, string> = {}): Promise<{ url: string; child: ChildProcess }> {
    expect(existsSync(join(dir, "build", entry)), `tsc emitted build/${entry}`).toBe(true);
    const child = spawn(process.execPath, [join("build", entry)], {
      cwd: dir,
      env: { ...process.env, PORT: "0", ROOMKIT_DATA_DIR: join(dir, `data-${entry}`), GAME_TITLE: "smoke", ...env },
      stdio: ["ignore", "pipe", "inherit"],
    });
    servers.push(child);
    const url = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once("line", (line) => resolve(line.replace("listening on ", "")));
      child.once("exit", (code) => reject(new Error(`the user's ${entry} exited (code ${code})`)));
    });
    return { url, child };
  }

  /** Two players in one game under `base`: welcome, a score to the other, the 401 of a nameless player. */
  async function playsAGame(url: string, base: string, game: string): Promise<TestClient[]> {
    const ann = await TestClient.open(url, `${base}/games/${game}/ws?player=ann`);
    const bob = await TestClient.open(url, `${base}/games/${game}/ws?player=bob`);
    expect(await ann.next()).toEqual({ type: "welcome", you: "ann", title: "smoke" });
    expect(await bob.next()).toEqual({ type: "welcome", you: "bob", title: "smoke" });
    ann.send({ points: 3 });
    expect(await ann.next()).toEqual({ type: "ack", total: 3 });
    expect(await bob.next()).toEqual({ type: "scores", scores: { ann: 3 }, players: ["ann", "bob"] });
    expect(await TestClient.refusal(url, `${base}/games/${game}/ws`)).toEqual({ status: 401, body: "smoke: ?player= required" });
    return [ann, bob];
  }

  /** SIGTERM, as a deploy sends it: every player is closed with 1001 and the process exits 0. */
  async function stopsGracefully(child: ChildProcess, players: TestClient[]): Promise<void> {
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    for (const player of players) expect((await player.closed).code).toBe(1001);
    expect(await exited).toBe(0);
  }

  it("runs its own room from the tsc build with plain node, over a real socket (serveRooms)", async () => {
    const { url, child } = await start("server.js");
    await stopsGracefully(child, await playsAGame(url, "", "final"));
  }, 30_000);

  it("mounts the rooms in its own Hono app on @hono/node-server, as the README shows", async () => {
    const { url, child } = await start("mount-hono.js");
    expect(await (await fetch(`${url}/api/health`)).json()).toEqual({ ok: true });
    const players = await playsAGame(url, "/realtime", "hono");
    expect(await TestClient.refusal(url, "/games/hono/ws?player=ann")).toMatchObject({ status: 404 });
    await stopsGracefully(child, players);
  }, 30_000);

  it("attaches the rooms to its own node:http server, as the README shows", async () => {
    const { url, child } = await start("mount-http.js");
    expect(await (await fetch(`${url}/anything`)).text()).toBe("your own handler");
    const players = await playsAGame(url, "", "http");
    expect(await TestClient.refusal(url, "/other/ws")).toMatchObject({ status: 404 });
    await stopsGracefully(child, players);
  }, 30_000);
});

describe("a Cloudflare project that installs the tarball", () => {
  let dir: string;

  beforeAll(async () => {
    dir = newProject("worker");
    cpSync(project, dir, { recursive: true });
    await install(dir, [tarball, ...["hono", "@cloudflare/workers-types"].map((name) => `${name}@${version(name)}`)]);
  }, 120_000);

  it("installs no native module and none of roomkit/node's peers", () => {
    for (const name of NODE_PEERS) expect(existsSync(join(dir, "node_modules", name)), name).toBe(false);
  });

  it("type-checks with only the Workers types", async () => {
    await expect(run(process.execPath, [TSC, "-p", "tsconfig.worker.json"], { cwd: dir })).resolves.toBeDefined();
  }, 60_000);

  it("bundles with wrangler deploy --dry-run", async () => {
    const { stdout } = await run(process.execPath, [WRANGLER, "deploy", "--dry-run", "--outdir", "out"], { cwd: dir, env: { ...process.env, WRANGLER_SEND_METRICS: "false" } });
    expect(stdout).toContain("env.SCORE_ROOM (ScoreRoom)");
    const bundle = readFileSync(join(dir, "out/worker.js"), "utf8");
    expect(bundle).toContain("ScoreRoom");
    expect(bundle).not.toMatch(/better-sqlite3|from "ws"/);
  }, 60_000);

  it("bundles its own Hono Worker with the rooms mounted in it", async () => {
    const { stdout } = await run(process.execPath, [WRANGLER, "deploy", "worker-hono.ts", "--dry-run", "--outdir", "out-hono"], { cwd: dir, env: { ...process.env, WRANGLER_SEND_METRICS: "false" } });
    expect(stdout).toContain("env.SCORE_ROOM (ScoreRoom)");
    expect(readFileSync(join(dir, "out-hono/worker-hono.js"), "utf8")).toContain("/api/health");
  }, 60_000);

  it("imports roomkit/testing without workerd's peers, and workerdRuntime then says in one line what to install", async () => {
    const failed = await run(process.execPath, ["--input-type=module", "-e", 'const t = await import("roomkit/testing"); await t.workerdRuntime()'], { cwd: dir }).catch((error: { stderr: string }) => error);
    expect("stderr" in failed && failed.stderr).toContain(`roomkit/testing's workerdRuntime needs the package "miniflare", which is not installed: npm install -D --save-exact miniflare@${version("miniflare")} wrangler@${version("wrangler")} esbuild`);
  });

  it("importing roomkit/node without its peers fails with one line that says what to install", async () => {
    const failed = await run(process.execPath, ["--input-type=module", "-e", 'await import("roomkit/node")'], { cwd: dir }).catch((error: { stderr: string }) => error);
    expect("stderr" in failed && failed.stderr).toContain('roomkit/node needs the package "ws", which is not installed: npm install ws better-sqlite3 @hono/node-server');
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", 'const m = await import("roomkit"); const c = await import("roomkit/client"); console.log(typeof m.defineApp, typeof c.RoomClient)'], { cwd: dir });
    expect(stdout.trim()).toBe("function function");
  });
});

describe("a project that tests its own room on both runtimes with roomkit/testing", () => {
  let dir: string;

  beforeAll(async () => {
    dir = newProject("tests");
    cpSync(project, dir, { recursive: true });
    const peers = [...NODE_PEERS, ...WORKERD_PEERS, "hono", "vitest", "@types/node"].map((name) => `${name}@${version(name)}`);
    await install(dir, [tarball, ...peers]);
  }, 180_000);

  it("type-checks docs/TESTING.md's suite strictly, with skipLibCheck off", async () => {
    await expect(run(process.execPath, [TSC, "-p", "tsconfig.test.json"], { cwd: dir })).resolves.toBeDefined();
  }, 60_000);

  it("runs it with plain `npx vitest run`: every case on Node and on workerd, the restart case on Node only", async () => {
    const started = Date.now();
    // A failing case makes vitest exit 1; its JSON report on stdout still says which.
    const { stdout } = await run(process.execPath, [join(dir, "node_modules/vitest/vitest.mjs"), "run", "--reporter=json"], { cwd: dir, maxBuffer: 16 * 1024 * 1024 }).catch(
      (error: { stdout: string; stderr: string }) => ({ stdout: error.stdout || error.stderr }),
    );
    const report = JSON.parse(stdout) as { testResults: { assertionResults: { fullName: string; status: string }[] }[] };
    const results = report.testResults.flatMap((file) => file.assertionResults).map(({ fullName, status }) => `${status}: ${fullName}`);
    expect(results.sort()).toEqual(
      [
        "passed: scoreboard on 'node' broadcasts a score to everyone but its sender",
        "passed: scoreboard on 'node' keeps each player's state and the stored scores through a forced hibernation",
        "passed: scoreboard on 'node' wakes an evicted room for its alarm",
        "passed: scoreboard on 'node' keeps the scores across a server restart (Node)",
        "passed: scoreboard on 'workerd' broadcasts a score to everyone but its sender",
        "passed: scoreboard on 'workerd' keeps each player's state and the stored scores through a forced hibernation",
        "passed: scoreboard on 'workerd' wakes an evicted room for its alarm",
        "skipped: scoreboard on 'workerd' keeps the scores across a server restart (Node)",
      ].sort(),
    );
    console.log(`the scoreboard's two-runtime suite: ${((Date.now() - started) / 1000).toFixed(1)} s (vitest start included)`);
  }, 120_000);

  it("serves its own Hono Worker on workerd with the rooms under /realtime, as the README shows", async () => {
    const script = `
      import { openSocket, workerdRuntime } from "roomkit/testing";
      const rt = await workerdRuntime({ config: "wrangler.toml", main: "worker-hono.ts", env: { GAME_TITLE: "smoke" } });
      try {
        const health = await (await fetch(rt.url + "/api/health")).json();
        const ann = await openSocket(rt.url + "/realtime/games/w/ws?player=ann");
        const welcome = await ann.next();
        ann.send({ points: 2 });
        await ann.next();
        const evicted = await rt.hibernate("score", "w");
        ann.send({ points: 1 });
        console.log(JSON.stringify({ health, welcome, evicted, after: await ann.next() }));
      } finally {
        await rt.stop();
      }`;
    // Run from a file, as a user would: the same script hangs when given to `node --input-type=module -e`.
    writeFileSync(join(dir, "mount-workerd.mjs"), script);
    const { stdout } = await run(process.execPath, ["mount-workerd.mjs"], { cwd: dir });
    expect(JSON.parse(stdout)).toEqual({
      health: { ok: true, title: "smoke" },
      welcome: { type: "welcome", you: "ann", title: "smoke" },
      evicted: true,
      after: { type: "ack", total: 3 },
    });
  }, 60_000);
});
