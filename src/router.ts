// The HTTP face of every roomkit deployment, shared by both runtimes: the app's rooms and routes,
// and those routes as a Hono app. What a route does is in room-routes.ts; the runtime supplies `connect`.
import { Hono, type Context, type Env as HonoEnv } from "hono";
import { resolveLimits, type Limits } from "./limits.ts";
import type { ConnectionInit, RoomClass } from "./room.ts";
import type { RoomRoutes, RouteRequest } from "./room-routes.ts";

export interface RoomRoute<Type extends string = string> {
  /** A Hono path: either with a `:name` parameter, or fixed with `name` set. */
  path: string;
  /** Key of `rooms`: with `defineApp`, another string is a compile error. */
  room: Type;
  /** Fixed room name for paths without `:name` (the article's `/ws` → `global-chat-room`). */
  name?: string;
}

/** `Env`: Cloudflare bindings and vars, or the Node server's `env` option. */
export interface BeforeConnectContext<Env = Record<string, unknown>, Type extends string = string> {
  request: Request;
  room: { type: Type; name: string };
  env: Env;
}

/** What `onBeforeConnect` returns: a refusal, or the connection's first state and tags. */
export type Verdict = Response | ConnectionInit | void;

/** Refuse with a Response, or admit with the connection's first state and tags. */
export type BeforeConnect<Env = Record<string, unknown>, Type extends string = string> = (context: BeforeConnectContext<Env, Type>) => Verdict | Promise<Verdict>;

// Bare `RoomkitApp` (any rooms, any env) is what the runtimes accept.
export interface RoomkitApp<Rooms extends Record<string, RoomClass> = any, Env = any> {
  rooms: Rooms;
  routes: readonly RoomRoute<NoInfer<keyof Rooms & string>>[];
  /** Served at `GET /`. */
  page?: string;
  /**
   * Runs before the upgrade (on Cloudflare: in the Worker, before the Durable Object is touched).
   * Annotate its parameter as `BeforeConnectContext<Env>` to type `env`.
   */
  onBeforeConnect?(context: BeforeConnectContext<Env, keyof Rooms & string>): Verdict | Promise<Verdict>;
  limits?: Partial<Limits>;
}

/**
 * A deployment: its room types, the paths that reach them, the auth hook and limits. The route
 * check also runs at run time, for JavaScript callers.
 */
export function defineApp<const Rooms extends Record<string, RoomClass>, Env = Record<string, unknown>>(app: RoomkitApp<Rooms, Env>): RoomkitApp<Rooms, Env> {
  for (const route of app.routes) {
    if (!app.rooms[route.room]) throw new TypeError(`route ${route.path} names unknown room type "${route.room}"`);
    if (!route.path.includes(":name") && !route.name) throw new TypeError(`route ${route.path} needs :name or a fixed name`);
  }
  return app;
}

/** Limits for a deployment: the app's own, under the environment's `ROOMKIT_*` variables. */
export function appLimits(app: RoomkitApp, env: Record<string, unknown> | undefined): Limits {
  return resolveLimits(app.limits, env);
}

/**
 * The rooms' routes as a Hono app, mountable under any base path (`hono.route(base, routes)`). `call`
 * gives the runtime's view of a request from its Context; `request` what the routes read of it
 * (default `c.req`).
 */
export function createRouter<E extends HonoEnv, Call>(
  routes: RoomRoutes<Call>,
  call: (c: Context<E>) => Call,
  request: (c: Context<E>) => RouteRequest = (c) => c.req,
): Hono<E> {
  const app = routes.app;
  const router = new Hono<E>();
  if (app.page !== undefined) {
    const page = app.page;
    router.get("/", (c) => c.html(page));
  }
  for (const route of app.routes) {
    // A single handler per route, no middleware: Hono dispatches it without composing a chain.
    router.get(route.path, (c) => routes.handle(call(c), request(c), route, route.name ?? c.req.param("name" as never) ?? ""));
  }
  return router;
}
