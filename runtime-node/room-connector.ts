// The Node side of the router's `connect`: admission (shutdown, full room, first attachment, room
// start) before the 101, then the handshake — through @hono/node-server's upgradeWebSocket when
// the app is served by its `serve({ websocket })`, or straight through ws when roomkit took the
// upgrade itself (`attach`) — and the socket handed to its room.
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { Context } from "hono";
import type { ConnectTarget } from "../src/connect.ts";
import { RoomkitError } from "../src/errors.ts";
import type { Limits } from "../src/limits.ts";
import { log, roomLabel } from "../src/log.ts";
import { textResponse as text, type RouteRequest } from "../src/room-routes.ts";
import type { Admission } from "./admission.ts";
import { clientAddress } from "./client-address.ts";
import { CloseCode } from "../src/protocol.ts";
import { upgradeWebSocket, type WebSocket, type WebSocketServer } from "./peers.ts";
import type { Prepared, RoomRegistry } from "./rooms.ts";
import { dropAdapterListeners, listenerSnapshot } from "./socket-adapters.ts";

/** An upgrade roomkit completes itself (`attach`): the socket and the bytes read past the headers. */
export interface OwnUpgrade {
  socket: Duplex;
  head: Buffer;
  /** Set by the connector once the handshake is under way. */
  taken?: boolean;
}

/**
 * One request to a room route on Node: either an upgrade `attach` took from the server's 'upgrade'
 * event (`own`), or a request @hono/node-server's serve() dispatched to the routes mounted in a Hono
 * app (`context`, with the adapter's `incoming`, `outgoing` and `wss` from its env).
 */
export type UpgradeCall =
  | { own: OwnUpgrade; incoming: IncomingMessage; outgoing?: undefined; context?: undefined; wss?: undefined }
  | {
      own?: undefined;
      context: Context;
      incoming: IncomingMessage | undefined;
      /** The adapter's ServerResponse: set when Node delivered the request as a plain one, not an upgrade. */
      outgoing: unknown;
      /** The ws server the adapter was given (`serve({ websocket })`). */
      wss: WebSocketServer | undefined;
    };

/**
 * What the route answers for an upgrade it took: the socket is ws's now and nobody reads this, so one
 * shared Response (no body, no headers set) spares each upgrade an undici Response of its own.
 */
const TAKEN = new Response(null, { status: 200 });

export interface ConnectorState {
  closing: boolean;
}

export interface AdmissionOptions {
  admission: Admission;
  /** The proxy's client-address header, when trusted. */
  clientAddressHeader: string | undefined;
}

export type ConnectUpgrade = (call: UpgradeCall, request: RouteRequest, target: ConnectTarget) => Response | Promise<Response>;

export function roomConnector(registry: RoomRegistry, limits: Limits, wss: WebSocketServer, state: ConnectorState, admit: AdmissionOptions): ConnectUpgrade {
  let warnedForwarded = false;
  return (call, request, target) => {
    const incoming = call.incoming;
    if (!incoming || (!call.own && call.outgoing !== undefined)) {
      // Node delivered it as a plain request: no "Connection: Upgrade", so no socket to take over.
      // Connection: close, so that the refused client's socket does not linger as a keep-alive one.
      return text('A WebSocket upgrade needs the headers "Connection: Upgrade" and "Upgrade: websocket".', 400, { Connection: "close" });
    }
    // RFC 6455 §4.1: the opening handshake is an HTTP/1.1 request with a Host header; ws checks neither.
    if (incoming.httpVersion !== "1.1") return text("A WebSocket upgrade needs HTTP/1.1.", 400);
    if (!incoming.headers.host) return text('A WebSocket upgrade needs a "Host" header.', 400);
    if (!call.own && call.wss !== wss) {
      return text("This server's `websocket` option is not the rooms' own: pass `websocket: rooms.websocket` to serve().", 500);
    }
    if (state.closing) return text("Server shutting down.", 503);
    if (registry.connectionCount(target.type, target.name) >= limits.maxConnectionsPerRoom) {
      return text(`Room "${target.name}" is full (${limits.maxConnectionsPerRoom} connections).`, 503);
    }
    const socket = incoming.socket;
    // A client already gone would never release what it was admitted with.
    if (socket.destroyed) return text("Connection closed.", 400);
    if (!admit.clientAddressHeader && incoming.headers["x-forwarded-for"] !== undefined && !warnedForwarded) {
      warnedForwarded = true;
      log.warn("upgrades carry X-Forwarded-For, but no client-address header is trusted: every client behind the proxy counts as the proxy's one address. Set ROOMKIT_CLIENT_ADDRESS_HEADER=x-forwarded-for (clientAddressHeader) if only the proxy can reach this server.");
    }
    // The remote address costs a getpeername() per upgrade: only when a per-address limit counts it.
    const address = admit.admission.countsAddresses ? clientAddress(incoming, admit.clientAddressHeader) : "";
    const refused = admit.admission.admit(address, registry.slot(target.type, target.name) === undefined);
    if (refused) {
      const headers: Record<string, string> = refused.retryAfterSeconds ? { "Retry-After": String(refused.retryAfterSeconds) } : {};
      return text(refused.refused, 503, headers);
    }
    let prepared: Prepared;
    try {
      prepared = registry.prepare(target);
      registry.start(target);
    } catch (error) {
      // Until the socket is in a room, its admission is released when it closes.
      socket.once("close", () => admit.admission.release(address));
      if (!(error instanceof RoomkitError)) throw error;
      if (error.code !== "ROOM_START_FAILED") return text(error.message, 400);
      log.error(`${roomLabel(target.type, target.name)}: could not be started:`, error.cause);
      return text(`Room "${target.name}" could not be started; try again later.`, 503);
    }
    const handshake = new Handshake(registry, limits, state, admit.admission, target, prepared, request.raw, address, socket);
    // The 101 (and what onConnect sends) stays in the socket's buffer until onConnect has settled,
    // as on Cloudflare, where the Durable Object answers the upgrade after onConnect.
    socket.cork();
    if (call.own) {
      call.own.taken = true;
      wss.handleUpgrade(incoming, call.own.socket, call.own.head, handshake.onSocket);
      // Most handshakes are over by now (ws completes one synchronously, and so does a room whose
      // onConnect returns no promise): only those still open need a timer.
      handshake.armDeadline();
      return TAKEN;
    }
    handshake.armDeadline();
    const upgrade = upgradeWebSocket(() => ({
      onOpen: (_event, context) => {
        const ws = context.raw as WebSocket;
        const before = listenerSnapshot(ws);
        handshake.onSocket(ws);
        dropAdapterListeners(ws, before, listenerSnapshot(ws));
      },
    }));
    return upgrade(call.context, async () => {}) as Promise<Response>;
  };
}


/**
 * One admitted upgrade from admission until its socket is in the room: one object and two bound
 * functions per upgrade, rather than a closure per step and a listener wrapper per step.
 */
class Handshake {
  /** Until it fires or is cleared: a client (or an onConnect) that never finishes must not hold the socket. */
  private deadline: ReturnType<typeof setTimeout> | undefined;
  /** Settled one way or another: no deadline needed any more. */
  private done = false;
  /** The WebSocket arrived: the registry, not this handshake, abandons the room's preparation. */
  private arrived = false;

  constructor(
    private readonly registry: RoomRegistry,
    private readonly limits: Limits,
    private readonly state: ConnectorState,
    private readonly admission: Admission,
    private readonly target: ConnectTarget,
    private readonly prepared: Prepared,
    private readonly request: Request,
    private readonly address: string,
    private readonly socket: Duplex,
  ) {
    // Assigned, not class fields: a field's arrow function gets a name of its own defined on it
    // when the source runs through tsx or esbuild with keepNames (a dictionary per function per upgrade).
    this.onClose = () => this.closedEarly();
    this.onSocket = (ws) => this.arrive(ws);
    socket.on("close", this.onClose);
  }

  /** Listens for the socket closing until it is in a room. */
  private readonly onClose: () => void;
  /** Given to ws: called with the WebSocket once the handshake is done. */
  readonly onSocket: (ws: WebSocket) => void;

  /** The socket closed before it was in a room: its admission back, and the room's preparation undone if still pending. */
  private closedEarly(): void {
    this.finished();
    if (!this.arrived) this.registry.abandon(this.target);
    this.admission.release(this.address);
  }

  armDeadline(): void {
    if (!this.done) this.deadline = setTimeout(destroy, this.limits.handshakeTimeoutMs, this.socket);
  }

  private finished(): void {
    // Every way out clears the deadline itself: a listener on the socket for it would keep this
    // scope (the request, the Hono context) alive as long as the socket.
    this.done = true;
    if (this.deadline !== undefined) clearTimeout(this.deadline);
  }

  private arrive(ws: WebSocket): void {
    const { registry, target, socket } = this;
    this.arrived = true;
    if (this.state.closing) {
      this.finished();
      ws.terminate();
      return;
    }
    if (registry.connectionCount(target.type, target.name) >= this.limits.maxConnectionsPerRoom) {
      this.finished();
      socket.uncork();
      ws.close(CloseCode.TRY_AGAIN_LATER, "room is full");
      return;
    }
    let opened: void | Promise<void>;
    try {
      opened = registry.accept(target, this.prepared, ws, this.request, this.address);
      // From here the registry releases the admission when the socket leaves the room.
      socket.off("close", this.onClose);
    } catch (error) {
      log.error(`${roomLabel(target.type, target.name)}: could not accept a socket:`, error);
      this.finished();
      socket.uncork();
      ws.close(CloseCode.INTERNAL_ERROR, "could not accept the connection");
      return;
    }
    if (opened) void opened.then(() => this.settled());
    else this.settled();
  }

  private settled(): void {
    this.finished();
    this.socket.uncork();
  }
}

function destroy(socket: Duplex): void {
  socket.destroy();
}
