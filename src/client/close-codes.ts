// Which close codes end the client's attempts to reconnect. A refusal before the upgrade (HTTP
// 400/401/403/503) cannot be among them: a browser reports it only as a failed connection (1006),
// indistinguishable from a server that is down. A room that must turn a client away for good
// accepts the socket and closes it with one of the 4000–4099 codes below.
import { CloseCode } from "../protocol.ts";

/** Application close codes the client treats as final. Rooms may use them (`connection.close(code)`). */
export const StopCode = {
  /** Do not reconnect; no reason given. */
  STOP: 4000,
  /** Authentication missing or refused. */
  AUTH_REFUSED: 4001,
  /** Authenticated but not allowed here (banned, wrong room…). */
  FORBIDDEN: 4003,
  /** The room takes nobody else for now, and will not soon. */
  ROOM_FULL: 4009,
} as const;

/**
 * True for codes after which reconnecting would only repeat the refusal: 1003 (unsupported data),
 * 1008 (policy, e.g. rate-limit abuse), 1009 (message too big) and the application range 4000–4099.
 * Everything else (1000, 1001 server restart, 1006 lost connection, 1011, 1013, 4100–4999) is retried.
 */
export function isTerminalClose(code: number): boolean {
  return code === CloseCode.UNSUPPORTED_DATA || code === CloseCode.POLICY_VIOLATION || code === CloseCode.MESSAGE_TOO_BIG || (code >= 4000 && code <= 4099);
}
