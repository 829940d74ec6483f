import { workerdFixture } from "../runtimes/fixture.ts";
import { contractSuite } from "./suite.ts";

contractSuite(workerdFixture);
