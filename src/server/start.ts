/** Starts a server from configuration: opens the core, builds the app, listens, and stops cleanly. */
import type { FastifyInstance } from "fastify";
import type { Config } from "../core/config.js";
import { createTessera, type Tessera, type TesseraDeps } from "../core/tessera.js";
import { buildServer, type BuildOptions } from "./build.js";

export interface RunningServer {
  app: FastifyInstance;
  tessera: Tessera;
  /** The base URL it listens on. */
  url: string;
  close(): Promise<void>;
}

export async function startServer(config: Config, deps: TesseraDeps = {}, build: Omit<BuildOptions, "tessera"> = {}): Promise<RunningServer> {
  const tessera = await createTessera(config, deps);
  const app = await buildServer({ ...build, tessera });
  const sweeper = config.sweepInterval > 0 ? setInterval(() => {
    const now = tessera.now();
    tessera.store.sweep(now, now - config.sessionIdleTimeout * 1000, 86_400_000)
      .then((swept) => app.log.info({ swept }, "expired sessions swept"))
      .catch((error: unknown) => app.log.warn({ err: error }, "session sweep failed"));
    tessera.keys.prune().catch((error: unknown) => app.log.warn({ err: error }, "key prune failed"));
  }, config.sweepInterval * 1000) : undefined;
  sweeper?.unref();
  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  let closing: Promise<void> | undefined;
  return {
    app, tessera, url: `http://${host}:${port}`,
    close() {
      closing ??= (async () => {
        if (sweeper) clearInterval(sweeper);
        await app.close();
        await tessera.close();
      })();
      return closing;
    },
  };
}
