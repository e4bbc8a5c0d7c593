/** Starts a server from configuration: opens the core, builds the app, listens, and stops cleanly. */
import type { FastifyInstance } from "fastify";
import type { Config } from "../core/config.js";
import { createTessera, type TesseraCore, type TesseraDeps } from "../core/tessera.js";

// The composition root is opened here only; the rest of the server is handed its API (core/api.ts).
export { createTessera, type TesseraCore };
import { buildServer, type BuildOptions } from "./build.js";
import { startMaintenance } from "./maintenance.js";
import { logClusterState } from "./cluster-logs.js";
import { warnAboutConfig } from "./config-warnings.js";

export interface RunningServer {
  app: FastifyInstance;
  tessera: TesseraCore;
  /** The base URL it listens on. */
  url: string;
  close(): Promise<void>;
}

export async function startServer(config: Config, deps: TesseraDeps = {}, build: Omit<BuildOptions, "tessera"> = {}): Promise<RunningServer> {
  const tessera = await createTessera(config, deps);
  // A start that fails from here on must not leave the pool or the Redis link holding the process open.
  const app = await buildServer({ ...build, tessera }).catch(async (error: unknown) => { await tessera.close(); throw error; });
  logClusterState(app, tessera);
  warnAboutConfig(app.log, config);
  const sweeper = config.sweepIntervalMs > 0 ? setInterval(() => {
    const now = tessera.now();
    tessera.operations.sweepSessions(now)
      .then((swept) => app.log.info({ swept }, "expired sessions swept"))
      .catch((error: unknown) => app.log.warn({ err: error }, "session sweep failed"));
  }, config.sweepIntervalMs) : undefined;
  sweeper?.unref();
  // Key schedule (it also prunes keys), audit retention, first admin. A refused first admin
  // (e.g. a common password) stops the start: release what is open before saying so.
  const stopMaintenance = await startMaintenance(app, tessera).catch(async (error: unknown) => {
    if (sweeper) clearInterval(sweeper);
    await app.close();
    await tessera.close();
    throw error;
  });
  // The outbox sender (docs/email.md): messages written before a crash or an outage go out now.
  tessera.mail.sender.onError = (error) => app.log.warn({ err: error }, "outbox delivery step failed; will retry");
  tessera.mail.service.onError = (error) => app.log.error({ err: error }, "email request failed after its answer");
  tessera.events.on("mail-delivery", (e) => {
    if (e.outcome !== "sent") app.log.warn({ messageId: e.messageId, kind: e.kind, attempts: e.attempts, outcome: e.outcome, error: e.error }, "email delivery failed");
  });
  tessera.mail.sender.start(config.mailPollIntervalMs);
  await app.listen({ host: config.host, port: config.port }).catch(async (error: unknown) => {
    if (sweeper) clearInterval(sweeper);
    stopMaintenance();
    await app.close();
    await tessera.close();
    throw error;
  });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  followPort(config, port);
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  let closing: Promise<void> | undefined;
  return {
    app, tessera, url: `http://${host}:${port}`,
    close() {
      closing ??= (async () => {
        if (sweeper) clearInterval(sweeper);
        stopMaintenance();
        // Graceful stop (docs/deploy.md): held long-polls answer now; app.close() stops
        // accepting, closes idle keep-alive sockets and waits for in-flight requests,
        // cut after TESSERA_SHUTDOWN_TIMEOUT; then the pools and Redis close.
        tessera.feed.stop();
        const cut = setTimeout(() => app.server.closeAllConnections(), config.shutdownTimeoutMs);
        // A keep-alive socket whose last request finishes during the stop would
        // otherwise stay open until the cut: close each one as soon as it is idle.
        const idle = setInterval(() => app.server.closeIdleConnections(), 100);
        await app.close().finally(() => { clearTimeout(cut); clearInterval(idle); });
        await tessera.close();
      })();
      return closing;
    },
  };
}

/**
 * With PORT=0 the port is known only now: the configuration takes it, and an
 * issuer on port 0 (the default issuer with PORT=0) becomes the listening
 * port's, with the audience when it was the issuer. Everything that reads the
 * issuer reads it live (discovery, tokens, OpenAPI `servers`, trusted origins).
 */
function followPort(config: Config, port: number): void {
  if (config.port !== 0) return;
  config.port = port;
  const issuer = new URL(config.issuer);
  if (issuer.port !== "0") return;
  issuer.port = String(port);
  const followed = issuer.href.replace(/\/$/, "");
  if (config.audience === config.issuer) config.audience = followed;
  config.issuer = followed;
}
