import { nodeRuntime } from "../runtimes/node.ts";
import { contractSuite } from "./suite.ts";

contractSuite(nodeRuntime);
