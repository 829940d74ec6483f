import { workerdFixture } from "../runtimes/fixture.ts";
import { browserSuite } from "./suite.ts";

browserSuite(workerdFixture);
