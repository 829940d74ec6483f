// The module workerdRuntime bundles around the user's Worker entry. It re-exports everything the
// entry exports (so the Durable Object classes are found under the names wrangler.toml gives),
// and wraps the default handler's fetch for two test-only needs, leaving the user's code unchanged:
// - it answers ROOM_CLASSES_PATH with { room type: exported class name }, read from the classes'
//   `roomType`, so the harness can evict a room knowing only its type and name;
// - it hands WebSocket upgrades to the same path on one at a time. The workerd in the pinned
//   miniflare never hibernates an object that received two upgrades at the same instant
//   (workerd issue #6862); production is unaffected, so this lives here and not in createWorker.

export const ROOM_CLASSES_PATH = "/__roomkit_testing/room-classes";

export function wrapperSource(main: string): string {
  const entry = JSON.stringify(main);
  return `import * as entry from ${entry};
export * from ${entry};
const handler = entry.default;
if (!handler || typeof handler.fetch !== "function") {
  throw new Error("roomkit/testing: the Worker entry " + ${entry} + " has no default export with a fetch handler");
}
const roomClasses = {};
for (const [name, value] of Object.entries(entry)) {
  if (typeof value === "function" && typeof value.roomType === "string" && !(value.roomType in roomClasses)) roomClasses[value.roomType] = name;
}
const queues = new Map();
function oneAtATime(key, task) {
  const result = (queues.get(key) ?? Promise.resolve()).then(task);
  const settled = result.then(() => {}, () => {});
  queues.set(key, settled);
  settled.then(() => { if (queues.get(key) === settled) queues.delete(key); });
  return result;
}
const wrapped = {};
for (const key of ["scheduled", "queue", "email", "tail", "trace", "test"]) {
  if (typeof handler[key] === "function") wrapped[key] = handler[key].bind(handler);
}
wrapped.fetch = (request, env, ctx) => {
  const url = new URL(request.url);
  if (url.pathname === ${JSON.stringify(ROOM_CLASSES_PATH)}) return Response.json(roomClasses);
  if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") return handler.fetch(request, env, ctx);
  return oneAtATime(url.pathname, () => handler.fetch(request, env, ctx));
};
export default wrapped;
`;
}
