// A TCP proxy in front of a real server, to give a real client the network failures a mock would
// only pretend: connections cut, a path that silently stops carrying bytes, a server that accepts
// TCP but never answers the upgrade, a port that refuses.
import { connect, createServer, type Server, type Socket } from "node:net";

/** forward: normal. hang: accept TCP, never forward (upgrade never answered). refuse: close at once. */
export type ProxyMode = "forward" | "hang" | "refuse";

interface Pair {
  client: Socket;
  upstream: Socket | null;
}

export class TcpProxy {
  mode: ProxyMode = "forward";
  /** Connections accepted so far (each reconnect attempt is one). */
  accepted = 0;
  private readonly pairs = new Set<Pair>();

  private constructor(
    private readonly server: Server,
    private readonly target: { host: string; port: number },
  ) {
    server.on("connection", (client) => this.accept(client));
  }

  static async start(targetUrl: string): Promise<TcpProxy> {
    const target = new URL(targetUrl);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    return new TcpProxy(server, { host: target.hostname, port: Number(target.port) });
  }

  get url(): string {
    const address = this.server.address();
    if (typeof address !== "object" || address === null) throw new Error("proxy not listening");
    return `http://127.0.0.1:${address.port}`;
  }

  /** Existing connections stop carrying bytes (`down`: only server → client), without closing. */
  freeze(direction: "both" | "down" = "both"): void {
    for (const { client, upstream } of this.pairs) {
      if (!upstream) continue;
      upstream.unpipe(client);
      upstream.pause();
      if (direction === "both") {
        client.unpipe(upstream);
        client.pause();
      }
    }
  }

  /** Destroys every current connection: the client sees an abnormal close (1006). */
  cut(): void {
    for (const pair of this.pairs) this.drop(pair);
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    this.accepted++;
    client.on("error", () => {});
    if (this.mode === "refuse") {
      client.destroy();
      return;
    }
    const pair: Pair = { client, upstream: null };
    this.pairs.add(pair);
    client.on("close", () => this.drop(pair));
    if (this.mode === "hang") {
      client.pause();
      return;
    }
    const upstream = connect(this.target.port, this.target.host);
    pair.upstream = upstream;
    upstream.on("error", () => {});
    upstream.on("close", () => this.drop(pair));
    client.pipe(upstream);
    upstream.pipe(client);
  }

  private drop(pair: Pair): void {
    if (!this.pairs.delete(pair)) return;
    pair.client.destroy();
    pair.upstream?.destroy();
  }
}
