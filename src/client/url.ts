// Where each attempt connects: the room's socket URL plus the resume query of the moment.

/** An absolute ws:/wss: URL. http(s) URLs are converted; a relative one is resolved against the page. */
export function socketUrl(url: string | URL): URL {
  // A page's own URL in a browser; Node and Workers have no `location`.
  const base = (globalThis as { location?: { href: string } }).location?.href;
  let parsed: URL;
  try {
    parsed = new URL(String(url), base);
  } catch {
    throw new TypeError(`Not a URL: "${String(url)}" (outside a browser the URL must be absolute).`);
  }
  if (parsed.protocol === "http:") parsed.protocol = "ws:";
  else if (parsed.protocol === "https:") parsed.protocol = "wss:";
  if (parsed.protocol !== "ws:" && parsed.protocol !== "wss:") throw new TypeError(`Not a WebSocket URL: "${parsed.href}"`);
  return parsed;
}

/** `?roomkit=1` asks for acks and notices; `since` resumes after the last message seen. */
export function attemptUrl(url: URL, resume: boolean, lastSeq: number | null): string {
  if (!resume) return url.href;
  const next = new URL(url.href);
  next.searchParams.set("roomkit", "1");
  if (lastSeq === null) next.searchParams.delete("since");
  else next.searchParams.set("since", String(lastSeq));
  return next.href;
}
