import { cloudflareRuntime } from "../runtimes/cloudflare.ts";
import { browserSuite } from "./suite.ts";

browserSuite(cloudflareRuntime);
