import { cloudflareRuntime } from "../runtimes/cloudflare.ts";
import { contractSuite } from "./suite.ts";

contractSuite(cloudflareRuntime);
