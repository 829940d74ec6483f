// THE contract suite: one factory, run once per runtime over real sockets. A test that cannot run
// on a runtime says so through a capability flag of the handle — never a silent skip. The cases
// live in ./cases, one file per concern; each takes the shared SuiteContext.
import { afterAll, beforeAll, describe } from "vitest";
import type { RuntimeStarter } from "roomkit/testing";
import { createContext } from "./context.ts";
import { routingCases } from "./cases/routing.ts";
import { originCases } from "./cases/origin.ts";
import { admissionCases } from "./cases/admission.ts";
import { chatCases } from "./cases/chat.ts";
import { connectionsCases } from "./cases/connections.ts";
import { storageCases } from "./cases/storage.ts";
import { historyCases } from "./cases/history.ts";
import { limitsCases } from "./cases/limits.ts";
import { hibernationCases } from "./cases/hibernation.ts";
import { fuzzCases } from "./cases/fuzz.ts";
import { pollCases } from "./cases/poll.ts";
import { backpressureCases } from "./cases/backpressure.ts";
import { idleCases } from "./cases/idle.ts";
import { logsCases } from "./cases/logs.ts";
import { framesCases } from "./cases/frames.ts";
import { startupCases } from "./cases/startup.ts";

export { roomName } from "./context.ts";

export function contractSuite(handle: RuntimeStarter): void {
  describe(`contract: ${handle.name}`, () => {
    const ctx = createContext(handle);
    beforeAll(() => ctx.start());
    afterAll(() => ctx.stop());
    routingCases(ctx);
    originCases(ctx);
    admissionCases(ctx);
    chatCases(ctx);
    connectionsCases(ctx);
    storageCases(ctx);
    historyCases(ctx);
    limitsCases(ctx);
    hibernationCases(ctx);
    pollCases(ctx);
    backpressureCases(ctx);
    fuzzCases(ctx);
    idleCases(ctx);
    logsCases(ctx);
    framesCases(ctx);
    startupCases(ctx);
  });
}
