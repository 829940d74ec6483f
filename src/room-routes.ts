// What every room route does, on both runtimes, with no Hono Context: the room-name check, the
// upgrade check, the origin check, the auth hook and its tags, then the runtime's `connect`.
// createRouter puts it behind Hono routes (mountable in any Hono app); the Node runtime also calls
// it straight from its 'upgrade' listener, where a Context and a dispatch per upgrade would cost
// more than the checks themselves.
import { checkTags, type ConnectTarget } from "./connect.ts";
import { RoomkitError } from "./errors.ts";
import { isValidRoomName, LIMIT_ENV, type Limits } from "./limits.ts";
import { log, logRoom } from "./log.ts";
import { checkOrigin } from "./origin.ts";
import type { ConnectionInit } from "./room.ts";
import type { RoomkitApp, RoomRoute, Verdict } from "./router.ts";

/** What a route reads of a request. Hono's `c.req` is one; the Node runtime reads its own off the IncomingMessage. */
export interface RouteRequest {
  /** The request as onBeforeConnect and onConnect see it. */
  readonly raw: Request;
  readonly url: string;
  /** A header by its lower-case name. */
  header(name: string): string | undefined;
  query(name: string): string | undefined;
}

/**
 * The runtime's side of the routes. `Call` is what the runtime knows of one request besides the
 * request itself: the Worker's bindings, or the Node upgrade's socket.
 */
export interface RouteRuntime<Call> {
  /** What `onBeforeConnect` sees as `env`. */
  env(call: Call): Record<string, unknown>;
  limits(call: Call): Limits;
  /** The deployment's own settings checked first on every room request (a Response refuses it). */
  refuse?(call: Call): Response | undefined;
  /** What every answer passes through on its way out: each refusal of both runtimes passes here. */
  answer?(call: Call, response: Response): Response | Promise<Response>;
  /** Admit the upgrade to the room `target`, or refuse it (a full room, a room that cannot start…). */
  connect(call: Call, request: RouteRequest, target: ConnectTarget): Response | Promise<Response>;
}

/** A plain-text answer, as Hono's `c.text` gives. */
export function textResponse(body: string, status: number, headers?: Record<string, string>): Response {
  return new Response(body, { status, headers: { "content-type": "text/plain; charset=UTF-8", ...headers } });
}

/** A deployment's room routes: one per deployment, however many ways its requests arrive. */
export class RoomRoutes<Call> {
  private warnedUnconfigured = false;

  constructor(
    readonly app: RoomkitApp,
    private readonly runtime: RouteRuntime<Call>,
  ) {}

  /** `name`: the route's fixed name, or the one its path gave (percent-decoded). */
  handle(call: Call, request: RouteRequest, route: RoomRoute, name: string): Response | Promise<Response> {
    const refused = this.runtime.refuse?.(call);
    if (refused) return refused;
    const roomLimits = this.check(call, request, name);
    if (roomLimits instanceof Response) return this.finish(call, route, name, roomLimits);
    const hook = this.app.onBeforeConnect;
    // Without an auth hook an upgrade is answered without a promise of the router's own.
    if (!hook) return then(this.admit(call, request, route, name, {}, roomLimits), (response) => this.finish(call, route, name, response));
    const hooked = hook({ request: request.raw, room: { type: route.room, name }, env: this.runtime.env(call) });
    return Promise.resolve(hooked).then((verdict: Verdict): Response | Promise<Response> =>
      verdict instanceof Response
        ? this.finish(call, route, name, verdict)
        : then(this.admit(call, request, route, name, verdict || {}, roomLimits), (response) => this.finish(call, route, name, response)),
    );
  }

  /**
   * Every answer passes here, and so every refusal of both runtimes: the router's own,
   * onBeforeConnect's and the runtime's (a full room, a room that cannot start, the admission limits).
   */
  private finish(call: Call, route: RoomRoute, name: string, response: Response): Response | Promise<Response> {
    if (response.status >= 300) logRoom(route.room, name, `refused upgrade ${response.status}`);
    return this.runtime.answer ? this.runtime.answer(call, response) : response;
  }

  /** The checks before the auth hook: the room's limits, or the refusal. */
  private check(call: Call, request: RouteRequest, name: string): Limits | Response {
    if (!isValidRoomName(name)) {
      return textResponse(`Invalid room name: 1–128 characters from [A-Za-z0-9._~-] expected.`, 400);
    }
    if (request.header("upgrade")?.toLowerCase() !== "websocket") {
      return textResponse("Expected a WebSocket upgrade request.", 426);
    }
    const roomLimits = this.runtime.limits(call);
    const origin = request.header("origin");
    if (origin !== undefined) {
      const verdict = checkOrigin(origin, new URL(request.url), roomLimits);
      if (verdict === "refused-unconfigured" && !this.warnedUnconfigured) {
        // Once per router: the deployment most likely needs its public origin set, and an attacker
        // sending such requests must not be able to flood the log.
        this.warnedUnconfigured = true;
        log.warn(`refused a WebSocket from its own Host's origin ${origin}: a DNS name is trusted only when configured. Set ${LIMIT_ENV.publicOrigins}=${origin} (or limits.publicOrigins) if browsers reach this server there.`);
      }
      if (verdict !== "allowed") return textResponse(`Origin ${origin} is not allowed to open a WebSocket here.`, 403);
    }
    return roomLimits;
  }

  /** After the auth hook: its tags checked, then the runtime's connect. */
  private admit(call: Call, request: RouteRequest, route: RoomRoute, name: string, init: ConnectionInit, roomLimits: Limits): Response | Promise<Response> {
    try {
      checkTags(init.tags ?? [], roomLimits, name);
    } catch (error) {
      if (error instanceof RoomkitError) return textResponse(error.message, 400);
      throw error;
    }
    // `?roomkit=1`: the client understands roomkit's own frames (errors, acks, notices).
    const extended = request.query("roomkit") === "1";
    return this.runtime.connect(call, request, { type: route.room, name, init: { ...init, extended } });
  }
}

function then<T, R>(value: T | Promise<T>, next: (value: T) => R | Promise<R>): R | Promise<R> {
  return value instanceof Promise ? value.then(next) : next(value);
}
