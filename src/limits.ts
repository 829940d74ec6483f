// The one table of limits both runtimes enforce. Defaults follow Cloudflare's platform limits where
// one exists, so that a room that works on Node also works on Cloudflare.

export interface RateLimit {
  /** Tokens added per second. */
  perSecond: number;
  /** Bucket size: how many messages may arrive at once. */
  burst: number;
}

export interface Limits {
  /** Largest frame accepted, in bytes. Larger: close 1009. */
  maxMessageBytes: number;
  /** Sockets per room. More: HTTP 503 before the upgrade. */
  maxConnectionsPerRoom: number;
  /** Per-connection token bucket, or `null` for none. */
  rateLimit: RateLimit | null;
  /** Browser origins allowed to open sockets besides the server's own; `"*"` allows all. */
  allowedOrigins: "*" | readonly string[];
  /**
   * The origins browsers reach this server at (`https://chat.example`). Given, they are the server's
   * own origins and the Host header is not consulted; empty, same-origin is believed only for IP
   * literal and `localhost` hosts (a DNS name in Host could be a rebinding page's).
   */
  publicOrigins: readonly string[];
  /**
   * V8-serialized size of a connection's attachment (id, tags, state), at most 16 KiB: Cloudflare
   * refuses a larger attachment, so a higher value would hold on Node only.
   */
  maxStateBytes: number;
  /** Tags per connection. Cloudflare: 10. */
  maxTags: number;
  /** Characters per tag. Cloudflare: 256. */
  maxTagLength: number;
  /** Node only: a socket whose unsent bytes pass this is closed with 1013. */
  maxBufferedBytes: number;
  /** Node only: sockets open or opening per client address (IPv6: per /64); `null` for none. More: HTTP 503. */
  maxConnectionsPerAddress: number | null;
  /** Node only: sockets open or opening in the process; `"auto"` is half the descriptor limit less 32; `null` for none. More: HTTP 503. */
  maxConnectionsTotal: number | "auto" | null;
  /** Node only: rooms one client address may start (a room nobody is in) per minute; `null` for none. More: HTTP 503. */
  maxNewRoomsPerAddressPerMinute: number | null;
  /** Node only: room databases open at once; `"auto"` is a quarter of the descriptor limit, three per database. Idle and hibernated rooms' are closed first. */
  maxOpenDatabases: number | "auto";
  /**
   * Node only: an upgrade whose headers have not all arrived, or whose handshake (admission and
   * onConnect) has not finished, after this many ms has its socket destroyed.
   */
  handshakeTimeoutMs: number;
}

/** workerd's own cap on a socket attachment; `maxStateBytes` may lower it, never raise it. */
export const PLATFORM_MAX_STATE_BYTES = 16_384;

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxMessageBytes: 1024 * 1024,
  maxConnectionsPerRoom: 32_768,
  rateLimit: Object.freeze({ perSecond: 20, burst: 50 }),
  allowedOrigins: Object.freeze([]) as readonly string[],
  publicOrigins: Object.freeze([]) as readonly string[],
  maxStateBytes: PLATFORM_MAX_STATE_BYTES,
  maxTags: 10,
  maxTagLength: 256,
  maxBufferedBytes: 4 * 1024 * 1024,
  maxConnectionsPerAddress: 256,
  maxConnectionsTotal: "auto",
  maxNewRoomsPerAddressPerMinute: 120,
  maxOpenDatabases: "auto",
  handshakeTimeoutMs: 10_000,
});

/** Room names: 1–128 characters of RFC 3986 "unreserved", checked after percent-decoding. */
export const ROOM_NAME_PATTERN = /^[A-Za-z0-9._~-]{1,128}$/;

export function isValidRoomName(name: string): boolean {
  return ROOM_NAME_PATTERN.test(name);
}

/** Environment variables that override the defaults (Node `process.env`, Cloudflare `[vars]`). */
export const LIMIT_ENV = {
  maxMessageBytes: "ROOMKIT_MAX_MESSAGE_BYTES",
  maxConnectionsPerRoom: "ROOMKIT_MAX_CONNECTIONS",
  rateLimit: "ROOMKIT_RATE_LIMIT",
  allowedOrigins: "ROOMKIT_ALLOWED_ORIGINS",
  publicOrigins: "ROOMKIT_PUBLIC_ORIGIN",
  maxBufferedBytes: "ROOMKIT_MAX_BUFFERED_BYTES",
  maxStateBytes: "ROOMKIT_MAX_STATE_BYTES",
  maxConnectionsPerAddress: "ROOMKIT_MAX_CONNECTIONS_PER_ADDRESS",
  maxConnectionsTotal: "ROOMKIT_MAX_CONNECTIONS_TOTAL",
  maxNewRoomsPerAddressPerMinute: "ROOMKIT_MAX_NEW_ROOMS_PER_MINUTE",
  maxOpenDatabases: "ROOMKIT_MAX_OPEN_DATABASES",
  handshakeTimeoutMs: "ROOMKIT_HANDSHAKE_TIMEOUT_MS",
} as const;

type EnvLike = Readonly<Record<string, unknown>> | undefined;

/** Defaults, then environment variables, then explicit options (strongest). Bad values throw. */
export function resolveLimits(overrides: Partial<Limits> = {}, env?: EnvLike): Limits {
  const fromEnv: Partial<Limits> = {};
  const read = (name: string): string | undefined => {
    const value = env?.[name];
    return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
  };
  const bytes = read(LIMIT_ENV.maxMessageBytes);
  if (bytes !== undefined) fromEnv.maxMessageBytes = positiveInteger(LIMIT_ENV.maxMessageBytes, bytes);
  const conns = read(LIMIT_ENV.maxConnectionsPerRoom);
  if (conns !== undefined) fromEnv.maxConnectionsPerRoom = positiveInteger(LIMIT_ENV.maxConnectionsPerRoom, conns);
  const rate = read(LIMIT_ENV.rateLimit);
  if (rate !== undefined) fromEnv.rateLimit = parseRateLimit(rate);
  const buffered = read(LIMIT_ENV.maxBufferedBytes);
  if (buffered !== undefined) fromEnv.maxBufferedBytes = positiveInteger(LIMIT_ENV.maxBufferedBytes, buffered);
  const databases = read(LIMIT_ENV.maxOpenDatabases);
  if (databases !== undefined) fromEnv.maxOpenDatabases = databases === "auto" ? "auto" : positiveInteger(LIMIT_ENV.maxOpenDatabases, databases);
  const origins = read(LIMIT_ENV.allowedOrigins);
  if (origins !== undefined) fromEnv.allowedOrigins = parseOrigins(origins);
  const state = read(LIMIT_ENV.maxStateBytes);
  if (state !== undefined) fromEnv.maxStateBytes = positiveInteger(LIMIT_ENV.maxStateBytes, state);
  const publicOrigins = read(LIMIT_ENV.publicOrigins);
  if (publicOrigins !== undefined) fromEnv.publicOrigins = originList(LIMIT_ENV.publicOrigins, publicOrigins);
  const perAddress = read(LIMIT_ENV.maxConnectionsPerAddress);
  if (perAddress !== undefined) fromEnv.maxConnectionsPerAddress = countOrOff(LIMIT_ENV.maxConnectionsPerAddress, perAddress);
  const total = read(LIMIT_ENV.maxConnectionsTotal);
  if (total !== undefined) fromEnv.maxConnectionsTotal = total === "auto" ? "auto" : countOrOff(LIMIT_ENV.maxConnectionsTotal, total);
  const newRooms = read(LIMIT_ENV.maxNewRoomsPerAddressPerMinute);
  if (newRooms !== undefined) fromEnv.maxNewRoomsPerAddressPerMinute = countOrOff(LIMIT_ENV.maxNewRoomsPerAddressPerMinute, newRooms);
  const handshake = read(LIMIT_ENV.handshakeTimeoutMs);
  if (handshake !== undefined) fromEnv.handshakeTimeoutMs = positiveInteger(LIMIT_ENV.handshakeTimeoutMs, handshake);
  const limits: Limits = { ...DEFAULT_LIMITS, ...fromEnv, ...stripUndefined(overrides) };
  const max = limits.maxStateBytes;
  if (!Number.isSafeInteger(max) || max < 1 || max > PLATFORM_MAX_STATE_BYTES) {
    throw new TypeError(`maxStateBytes must be an integer from 1 to ${PLATFORM_MAX_STATE_BYTES} (Cloudflare's attachment limit), got ${max}`);
  }
  // Origins given in code are compared as serialized origins too (`https://A.example:443` is `https://a.example`).
  if (limits.allowedOrigins !== "*") limits.allowedOrigins = limits.allowedOrigins.map((origin) => serializedOrigin("allowedOrigins", origin));
  limits.publicOrigins = limits.publicOrigins.map((origin) => serializedOrigin("publicOrigins", origin));
  return limits;
}

/** `off`, or `<per-second>/<burst>` such as `20/50`. */
export function parseRateLimit(text: string): RateLimit | null {
  if (text === "off") return null;
  const match = /^(\d+(?:\.\d+)?)\/(\d+)$/.exec(text);
  if (!match) throw new TypeError(`${LIMIT_ENV.rateLimit} must be "off" or "<per-second>/<burst>", got "${text}"`);
  const perSecond = Number(match[1]);
  const burst = Number(match[2]);
  if (!(perSecond > 0) || !(burst >= 1)) throw new TypeError(`${LIMIT_ENV.rateLimit} needs a positive rate and a burst ≥ 1, got "${text}"`);
  return { perSecond, burst };
}

/** `*`, or a comma-separated list of origins such as `https://a.example,https://b.example`. */
export function parseOrigins(text: string): "*" | string[] {
  if (text === "*") return "*";
  return originList(LIMIT_ENV.allowedOrigins, text);
}

function originList(name: string, text: string): string[] {
  return text
    .split(",")
    .map((origin) => origin.trim())
    .filter(Boolean)
    .map((origin) => serializedOrigin(name, origin));
}

/** A configured origin, leniently: `https://chat.example/` is taken as `https://chat.example`. */
function serializedOrigin(name: string, text: string): string {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {}
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) throw new TypeError(`${name}: "${text}" is not an http(s) origin such as https://chat.example`);
  return url.origin;
}

/** A positive integer, or `off`. */
function countOrOff(name: string, text: string): number | null {
  return text === "off" ? null : positiveInteger(name, text);
}

function positiveInteger(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) throw new TypeError(`${name} must be a positive integer, got "${text}"`);
  return value;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
