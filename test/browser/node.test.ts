import { nodeFixture } from "../runtimes/fixture.ts";
import { browserSuite } from "./suite.ts";

browserSuite(nodeFixture);
