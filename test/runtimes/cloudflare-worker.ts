// The test worker: the fixture app on workerd. The handle bundles it behind a generated entry that
// exports `objects` under the class names of cloudflare-names.ts, so new room types need no edit.
import { createWorker, type RoomBindings } from "../../runtime-cloudflare/create-worker.ts";
import { fixtureApp } from "../fixtures/app.ts";
import { bindingFor } from "./cloudflare-names.ts";

const bindings = Object.fromEntries(Object.keys(fixtureApp.rooms).map((type) => [type, bindingFor(type)]));

export const { worker, objects } = createWorker(fixtureApp, bindings as RoomBindings<typeof fixtureApp>, { serializeUpgrades: true });
export default worker;
