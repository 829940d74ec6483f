import { nodeRuntime } from "../runtimes/node.ts";
import { browserSuite } from "./suite.ts";

browserSuite(nodeRuntime);
