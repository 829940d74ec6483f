// `roomkit/testing`: run your own rooms' tests on Node and on workerd, with hibernation forced for real.
export { nodeRuntime, type NodeRuntimeOptions } from "./node.ts";
export { workerdRuntime, type WorkerdRuntimeOptions } from "./workerd.ts";
export {
  runtimes,
  NODE_CAPABILITIES,
  WORKERD_CAPABILITIES,
  type RunningRuntime,
  type RuntimeCapabilities,
  type RuntimeName,
  type RuntimeStarter,
  type StartFunction,
  type StartOptions,
} from "./handle.ts";
export { openSocket, refusedUpgrade, TestSocket, type Closed, type OpenSocketOptions, type RawFrame, type Refusal } from "./socket.ts";
