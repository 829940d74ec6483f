// The Worker half of a deployment: the shared router in front, one Durable Object class per room
// type behind it. A room name always maps to the same object (idFromName), wherever the request
// lands, so everyone in a room talks to one single-threaded instance.
import type { Context, Hono } from "hono";
import { isPlainTarget, TARGET_HEADER } from "../src/connect.ts";
import { RoomkitError } from "../src/errors.ts";
import { resolveLimits, type Limits } from "../src/limits.ts";
import { log, logLevelFromEnv, roomLabel } from "../src/log.ts";
import type { RoomClass } from "../src/room.ts";
import { RoomRoutes, textResponse as text, type RouteRuntime } from "../src/room-routes.ts";
import { createRouter, type RoomkitApp } from "../src/router.ts";
import { roomObject, type Env, type RoomObjectClass } from "./room-object.ts";

/** For each room type of the app, the name of its Durable Object binding in wrangler.toml. */
export type RoomBindings<App extends RoomkitApp> = { readonly [Type in keyof App["rooms"]]: string };

export interface RoomkitWorker<App extends RoomkitApp> {
  /** The module's default export. */
  worker: ExportedHandler<Env>;
  /**
   * The rooms' routes, to mount in the Worker's own Hono app: `hono.route(base, rooms.routes)`.
   * Paths are relative to the mount point; the app's own middleware runs before `onBeforeConnect`.
   */
  routes: Hono<{ Bindings: Env }>;
  /** The Durable Object classes, to be exported under the class names wrangler.toml gives. */
  objects: { readonly [Type in keyof App["rooms"]]: RoomObjectClass };
}


export function createWorker<App extends RoomkitApp>(app: App, bindings: RoomBindings<App>): RoomkitWorker<App> {
  const byType = bindings as Readonly<Record<string, string>>;
  const objects: Record<string, RoomObjectClass> = {};
  for (const [type, RoomType] of Object.entries<RoomClass>(app.rooms)) {
    if (!byType[type]) throw new RoomkitError("CONFIG", type, `room type "${type}" has no Durable Object binding`);
    objects[type] = roomObject(RoomType, { type, limits: app.limits });
  }

  // One Limits per env object: vars do not change while an isolate lives.
  const cache = new WeakMap<object, Limits>();
  const limits = (env: Env): Limits => {
    let resolved = cache.get(env);
    if (!resolved) cache.set(env, (resolved = resolveLimits(app.limits, env)));
    return resolved;
  };

  const runtime: RouteRuntime<Env> = {
    env: (env) => env,
    limits,
    refuse: readLogLevel,
    connect(env, request, target) {
      const binding = byType[target.type]!;
      const namespace = env[binding] as DurableObjectNamespace | undefined;
      if (!namespace) {
        // A deployment fault, not a client's: the operator must see it, not only the client its 500.
        log.error(`${roomLabel(target.type, target.name)}: the Durable Object binding ${binding} is missing: check wrangler.toml.`);
        return text(`The Durable Object binding ${binding} is missing: check wrangler.toml.`, 500);
      }
      const id = namespace.idFromName(target.name);
      const stub = namespace.get(id);
      // Nothing to tell the object that it cannot read itself (its type from its class, its name from
      // its id, `?roomkit=1` from the URL): the client's request goes as it is — unless it carries the
      // target header itself, which only this Worker may set.
      if (isPlainTarget(target) && id.name === target.name && !request.raw.headers.has(TARGET_HEADER)) return stub.fetch(request.raw);
      // A copy of the request has headers of its own to change (the incoming one's are immutable):
      // one copy, rather than a Headers built from them and then copied into a new Request.
      const forwarded = new Request(request.raw);
      // Set, never appended: a client cannot choose its own room type, tags or state.
      forwarded.headers.set(TARGET_HEADER, JSON.stringify(target));
      return stub.fetch(forwarded);
    },
  };
  // Checked by the room routes too, for a Worker that mounts them in its own app.
  const router = createRouter(new RoomRoutes(app, runtime), (c: Context<{ Bindings: Env }>) => c.env);

  const worker: ExportedHandler<Env> = {
    fetch(request, env, ctx) {
      return readLogLevel(env) ?? router.fetch(request, env, ctx);
    },
  };
  return { worker, routes: router, objects: objects as RoomkitWorker<App>["objects"] };
}

/**
 * A bad ROOMKIT_LOG is refused as a bad limit is on Node, where the server does not start: here
 * every request is answered 500 and the reason is logged, so the deployment's log says what to fix.
 */
function readLogLevel(env: Env): Response | undefined {
  let problem = logLevelProblems.get(env);
  if (problem === undefined) {
    try {
      logLevelFromEnv(env);
      problem = null;
    } catch (error) {
      problem = (error as Error).message;
    }
    logLevelProblems.set(env, problem);
  }
  if (problem === null) return undefined;
  log.error(problem);
  return new Response(`roomkit is misconfigured: ${problem}`, { status: 500, headers: { "content-type": "text/plain; charset=UTF-8" } });
}

/** Per env object (vars do not change while an isolate lives): null, or what is wrong with ROOMKIT_LOG. */
const logLevelProblems = new WeakMap<object, string | null>();
