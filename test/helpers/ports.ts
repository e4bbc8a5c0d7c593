/**
 * A port that was free a moment ago, for a process that must be told its port
 * before it listens ("SMTP down, then up"; the real `tessera serve` in the
 * benchmarks). Servers in tests bind port 0 instead whenever they can.
 */
import { createServer } from "node:net";

export async function reservePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
