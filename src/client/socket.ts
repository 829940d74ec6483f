// The part of the WebSocket API the client uses: the browser's WebSocket, Node ≥ 22's global one
// and the `ws` package all have it.

export interface WebSocketLike {
  readonly readyState: number;
  binaryType?: string;
  onopen: ((event: any) => void) | null;
  onmessage: ((event: any) => void) | null;
  onclose: ((event: any) => void) | null;
  onerror: ((event: any) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** The implementation to use: the one passed in, else the global one. */
export function resolveWebSocket(given: WebSocketConstructor | undefined): WebSocketConstructor {
  const found = given ?? (globalThis as unknown as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (!found) {
    throw new TypeError('No WebSocket implementation: pass one as the `WebSocket` option (on Node 20: the default export of the "ws" package).');
  }
  return found;
}
