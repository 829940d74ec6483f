// The HTTP face of every roomkit deployment, shared by both runtimes: room addressing, room-name
// check, upgrade check, origin check and the auth hook. The runtime supplies only `connect`.
import { Hono, type Context, type Env as HonoEnv } from "hono";
import { checkTags, type ConnectTarget } from "./connect.ts";
import { RoomkitError } from "./errors.ts";
import { isValidRoomName, LIMIT_ENV, resolveLimits, type Limits } from "./limits.ts";
import { log, logRoom } from "./log.ts";
import { checkOrigin } from "./origin.ts";
import type { ConnectionInit, RoomClass } from "./room.ts";

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

type Verdict = Response | ConnectionInit | void;

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

export type ConnectToRoom = (c: Context, target: ConnectTarget) => Response | Promise<Response>;

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

export interface RouterOptions<E extends HonoEnv> {
  /** What `onBeforeConnect` sees as `env`. */
  env: (c: Context<E>) => Record<string, unknown>;
  limits: (c: Context<E>) => Limits;
  /**
   * The deployment's own settings checked first on every room request (a Response refuses it). Not a
   * middleware: a route with a single handler is dispatched by Hono without composing a chain.
   */
  refuse?: (c: Context<E>) => Response | undefined;
  /**
   * What the route's answer passes through on its way out. A hook, not a middleware: a route with a
   * single handler is dispatched by Hono without composing a middleware chain, per upgrade.
   */
  answer?: (c: Context<E>, response: Response) => Response | Promise<Response>;
  /**
   * How a request header is read (lower-case name). Default `c.req.header`; the Node runtime reads
   * them as Node parsed them, so that an upgrade builds no Headers object unless the app asks for one.
   */
  header?: (c: Context<E>, name: string) => string | undefined;
}

/** The rooms' routes as a Hono app, mountable under any base path (`hono.route(base, routes)`). */
export function createRouter<E extends HonoEnv = HonoEnv>(app: RoomkitApp, connect: ConnectToRoom, options: RouterOptions<E>): Hono<E> {
  const { env: getEnv, limits, refuse, answer, header = (c, name) => c.req.header(name) } = options;
  const router = new Hono<E>();
  let warnedUnconfigured = false;
  if (app.page !== undefined) {
    const page = app.page;
    router.get("/", (c) => c.html(page));
  }
  for (const route of app.routes) {
    router.get(route.path, (c): Response | Promise<Response> => {
      const refused = refuse?.(c);
      if (refused) return refused;
      const name = route.name ?? c.req.param("name" as never) ?? "";
      const roomLimits = check(c, name);
      if (roomLimits instanceof Response) return finish(c, name, roomLimits);
      // Without an auth hook an upgrade is answered without a promise of the router's own.
      if (!app.onBeforeConnect) return then(admit(c, name, {}, roomLimits), (response) => finish(c, name, response));
      const hooked = app.onBeforeConnect({ request: c.req.raw, room: { type: route.room, name }, env: getEnv(c) });
      return Promise.resolve(hooked).then((verdict): Response | Promise<Response> =>
        verdict instanceof Response ? finish(c, name, verdict) : then(admit(c, name, verdict || {}, roomLimits), (response) => finish(c, name, response)),
      );
    });
    /**
     * Every answer passes here, and so every refusal of both runtimes: the router's own,
     * onBeforeConnect's and the runtime's (a full room, a room that cannot start, the admission limits).
     */
    const finish = (c: Context<E>, name: string, response: Response): Response | Promise<Response> => {
      if (response.status >= 300) logRoom(route.room, name, `refused upgrade ${response.status}`);
      return answer ? answer(c, response) : response;
    };
    /** The checks before the auth hook: the room's limits, or the refusal. */
    const check = (c: Context<E>, name: string): Limits | Response => {
      if (!isValidRoomName(name)) {
        return c.text(`Invalid room name: 1–128 characters from [A-Za-z0-9._~-] expected.`, 400);
      }
      if (header(c, "upgrade")?.toLowerCase() !== "websocket") {
        return c.text("Expected a WebSocket upgrade request.", 426);
      }
      const roomLimits = limits(c);
      const origin = header(c, "origin");
      if (origin !== undefined) {
        const verdict = checkOrigin(origin, new URL(c.req.url), roomLimits);
        if (verdict === "refused-unconfigured" && !warnedUnconfigured) {
          // Once per router: the deployment most likely needs its public origin set, and an attacker
          // sending such requests must not be able to flood the log.
          warnedUnconfigured = true;
          log.warn(`refused a WebSocket from its own Host's origin ${origin}: a DNS name is trusted only when configured. Set ${LIMIT_ENV.publicOrigins}=${origin} (or limits.publicOrigins) if browsers reach this server there.`);
        }
        if (verdict !== "allowed") return c.text(`Origin ${origin} is not allowed to open a WebSocket here.`, 403);
      }
      return roomLimits;
    };
    /** After the auth hook: its tags checked, then the runtime's connect. */
    const admit = (c: Context<E>, name: string, init: ConnectionInit, roomLimits: Limits): Response | Promise<Response> => {
      try {
        checkTags(init.tags ?? [], roomLimits, name);
      } catch (error) {
        if (error instanceof RoomkitError) return c.text(error.message, 400);
        throw error;
      }
      // `?roomkit=1`: the client understands roomkit's own frames (errors, acks, notices).
      const extended = c.req.query("roomkit") === "1";
      return connect(c, { type: route.room, name, init: { ...init, extended } });
    };
  }
  return router;
}

function then<T, R>(value: T | Promise<T>, next: (value: T) => R | Promise<R>): R | Promise<R> {
  return value instanceof Promise ? value.then(next) : next(value);
}
