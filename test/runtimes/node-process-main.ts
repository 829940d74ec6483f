// A Node runtime in a process of its own, for tests that kill and restart the server.
// argv: <dataDir> [port]; prints the URL as the first line on stdout.
import { serveRooms } from "../../runtime-node/server.ts";
import { fixtureApp } from "../fixtures/app.ts";

const [dataDir, port] = process.argv.slice(2);
const server = await serveRooms(fixtureApp, { dataDir, port: Number(port ?? 0), env: { ROOMKIT_LOG: "silent", ...process.env } });
process.stdout.write(`${server.url}\n`);
process.on("SIGTERM", () => void server.close().then(() => process.exit(0)));
