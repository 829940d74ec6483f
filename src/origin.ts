// The Origin check of a WebSocket upgrade (cross-site WebSocket hijacking guard), comparing origins
// as RFC 6454 does: scheme, host and port, with default ports normalised. Browsers always send
// Origin on an upgrade; other clients usually send none and are not refused for that.
//
// Which origin is the server's own? The Host header (and so the request URL the runtime builds from
// it) is whatever the browser was pointed at, and a DNS-rebinding page makes a browser send
// `Host: evil.example` with `Origin: http://evil.example` to your server. So the Host is believed
// only where no DNS is involved: IP literals, and `localhost` names, which browsers resolve to
// loopback themselves. Every other public name must be configured (`publicOrigins`).
import type { Limits } from "./limits.ts";

/** An Origin header value as its ASCII serialization (`https://chat.example`), or undefined for `null`, a non-http(s) scheme or anything that is not an origin. */
export function parseOrigin(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
  // An Origin header is exactly scheme://host[:port]: a path, query or credentials mean it is not one.
  if (url.username || url.password || url.search || url.hash || (url.pathname !== "/" && url.pathname !== "")) return undefined;
  if (/\/\s*$/.test(text) || text.includes("?") || text.includes("#")) return undefined;
  return url.origin;
}

/** Hosts a browser reaches without DNS, so a rebinding page cannot claim them: IP literals and `localhost` names. */
export function isRebindingSafeHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  if (host.startsWith("[") && host.endsWith("]")) return true;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(host)) return true;
  return host === "localhost" || host.endsWith(".localhost");
}

export type OriginVerdict = "allowed" | "refused" | "refused-unconfigured";

/**
 * `requestUrl` is the request as the runtime sees it: its scheme is the connection's own (Node:
 * TLS or not; Cloudflare: the edge's), its host the client's Host header.
 * "refused-unconfigured": the Origin is the request's own origin, but its host is a DNS name that
 * no `publicOrigins` vouches for.
 */
export function checkOrigin(origin: string, requestUrl: URL, limits: Pick<Limits, "allowedOrigins" | "publicOrigins">): OriginVerdict {
  if (limits.allowedOrigins === "*") return "allowed";
  const parsed = parseOrigin(origin);
  if (parsed === undefined) return "refused";
  if (limits.allowedOrigins.includes(parsed)) return "allowed";
  if (limits.publicOrigins.length > 0) return limits.publicOrigins.includes(parsed) ? "allowed" : "refused";
  if (parsed !== requestUrl.origin) return "refused";
  return isRebindingSafeHost(requestUrl.hostname) ? "allowed" : "refused-unconfigured";
}
