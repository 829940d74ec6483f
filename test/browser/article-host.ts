// Hosts the article's page the way the article does: same origin as the socket. A loopback HTTP
// server serves the page and hands every WebSocket upgrade, untouched, to the roomkit server.
// (Playwright's route.fulfill would not do: Chromium then counts the page as public and blocks
// its socket to 127.0.0.1 — Local Network Access.)
import { createServer, type IncomingMessage, type Server } from "node:http";
import { connect } from "node:net";
import type { AddressInfo, Socket } from "node:net";

export interface ArticleHost {
  readonly url: string;
  close(): Promise<void>;
}

export async function hostArticlePage(html: string, backendUrl: string): Promise<ArticleHost> {
  const backend = new URL(backendUrl);
  const sockets = new Set<Socket>();
  const server: Server = createServer((request, response) => {
    if (request.url !== "/") {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(html);
  });
  server.on("upgrade", (request: IncomingMessage, client: Socket, head: Buffer) => {
    const upstream = connect(Number(backend.port), backend.hostname, () => {
      const lines = [`${request.method} ${request.url} HTTP/1.1`];
      for (let i = 0; i < request.rawHeaders.length; i += 2) lines.push(`${request.rawHeaders[i]}: ${request.rawHeaders[i + 1]}`);
      upstream.write(`${lines.join("\r\n")}\r\n\r\n`);
      upstream.write(head);
      client.pipe(upstream).pipe(client);
    });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("error", () => {});
      socket.on("close", () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
