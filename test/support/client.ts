// roomkit/testing's TestSocket under the (base URL, path) calls the suites were written with.
import { openSocket, refusedUpgrade, type TestSocket } from "roomkit/testing";

export type TestClient = TestSocket;
export const TestClient = {
  open: (baseUrl: string, path: string, headers?: Record<string, string>, localAddress?: string) => openSocket(baseUrl + path, { headers, localAddress }),
  refusal: (baseUrl: string, path: string, headers?: Record<string, string>, localAddress?: string) => refusedUpgrade(baseUrl + path, { headers, localAddress }),
};

export async function openMany(baseUrl: string, path: string, count: number): Promise<TestClient[]> {
  return Promise.all(Array.from({ length: count }, () => TestClient.open(baseUrl, path)));
}
