import { nodeFixture } from "../runtimes/fixture.ts";
import { contractSuite } from "./suite.ts";

contractSuite(nodeFixture);
