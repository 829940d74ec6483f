// Who a connection counts against for the per-address admission limits: the socket's remote
// address, or behind a reverse proxy the header the proxy sets. An IPv6 client counts by its /64,
// the block one subscriber gets, so that cycling through its addresses gains nothing.
import type { IncomingMessage } from "node:http";
import { isIPv4, isIPv6 } from "node:net";

/**
 * `header`: trusted only when set (`x-forwarded-for`: its last entry, which the nearest proxy
 * appended; any other header, such as `x-real-ip` or `cf-connecting-ip`: its whole value).
 */
export function clientAddress(incoming: IncomingMessage, header: string | undefined): string {
  const fromHeader = header ? headerAddress(incoming.headers[header.toLowerCase()], header.toLowerCase()) : undefined;
  return addressKey(fromHeader ?? incoming.socket.remoteAddress ?? "unknown");
}

function headerAddress(value: string | string[] | undefined, header: string): string | undefined {
  const text = Array.isArray(value) ? value.join(",") : value;
  if (!text) return undefined;
  const entry = header === "x-forwarded-for" ? text.split(",").at(-1)! : text;
  return stripPort(entry.trim()) || undefined;
}

/** `1.2.3.4:5678` and `[2001:db8::1]:443` as some proxies write them. */
function stripPort(entry: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(entry);
  if (bracketed) return bracketed[1]!;
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(entry);
  return v4 ? v4[1]! : entry;
}

/** The key an address is counted under: IPv4 as is (IPv4-mapped IPv6 too), IPv6 by its /64. */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (isIPv4(address)) return address;
  if (!isIPv6(address)) return address;
  return `${ipv6Groups(address.replace(/%.*$/, "")).slice(0, 4).join(":")}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, `::` expanded, as lowercase hex without leading zeros. */
function ipv6Groups(address: string): string[] {
  const [head = "", tail] = address.toLowerCase().split("::");
  const part = (text: string) => (text ? text.split(":").flatMap((group) => (group.includes(".") ? [0, 0] : [parseInt(group, 16)])) : []);
  const left = part(head);
  const right = tail === undefined ? [] : part(tail);
  const zeros = tail === undefined ? [] : Array<number>(8 - left.length - right.length).fill(0);
  return [...left, ...zeros, ...right].map((group) => group.toString(16));
}
