/**
 * Builds the HTTP app around a core instance. No `listen` here: tests inject
 * requests or listen on port 0, and `start.ts` is the small entry that serves.
 */
import { randomUUID } from "node:crypto";
import cookie from "@fastify/cookie";
import formbody from "@fastify/formbody";
import Fastify, { type FastifyInstance, type FastifyServerOptions } from "fastify";
import type { Tessera } from "../core/api.js";
import { makeAuthenticate } from "./shared/authenticate.js";
import { TesseraError } from "../core/errors.js";
import { makeCookieResolver } from "./shared/cookie-auth.js";
import { registerCors } from "./shared/cors.js";
import { installErrorHandling, sendError } from "./shared/errors.js";
import { bffRoutes } from "./routes/bff.js";
import { adminRoutes } from "./routes/admin/index.js";
import { passwordResetRoute } from "./routes/password-reset.js";
import { openApiRoutes, registerOpenApi } from "./openapi.js";
import { discoveryRoutes } from "./routes/discovery.js";
import { healthRoutes } from "./routes/health.js";
import { introspectRoute } from "./routes/introspect.js";
import { passwordRoute } from "./routes/password.js";
import { registerRoute } from "./routes/register.js";
import { revocationsRoute } from "./routes/revocations.js";
import { revokeRoute } from "./routes/revoke.js";
import { sessionLoginRoute } from "./routes/session-login.js";
import { sessionLogoutRoute } from "./routes/session-logout.js";
import { sessionRoutes } from "./routes/sessions.js";
import { tokenRoute } from "./routes/token.js";
import { userinfoRoute } from "./routes/userinfo.js";
import { webRoutes } from "./routes/web.js";
import { metricsRoute, observeAnswer } from "./metrics/install.js";
import { createMetrics } from "./metrics/registry.js";
import { factorRoutes } from "./routes/mfa/factors.js";
import { sessionMfaRoute } from "./routes/mfa/session-mfa.js";
import { passkeyRoutes } from "./routes/mfa/passkeys.js";
import { AccessLogController, flushLogs, lazyChildLogger, loggerOptions, stdoutDestination, trustProxyOption, type LogStream } from "./shared/logging.js";
import { createAccessLog } from "./shared/access-log.js";
import { emailApiRoutes } from "./routes/email/api.js";
import { emailPageRoutes } from "./routes/email/pages.js";
import { devMailRoutes } from "./routes/email/dev-mail.js";
import { sessionOtpRoute } from "./routes/session-otp.js";

export const BODY_LIMIT = 16 * 1024;

export interface BuildOptions {
  tessera: Tessera;
  /**
   * Fastify logger option; defaults to JSON logs at the configured level with secrets redacted,
   * written asynchronously, with one access line per request. A logger given here gets
   * Fastify's own request logging instead of the access line.
   */
  logger?: FastifyServerOptions["logger"];
  /** With the default logger: where the JSON lines go (default stdout; tests capture them). */
  logStream?: LogStream;
  /** Folder of the built demo page (default web/dist). */
  webRoot?: string;
  /**
   * Called with the new app before any hook or route is added, so that what it
   * adds (a test's onResponse recorder) runs for every route. Tests only.
   */
  instrument?: (app: FastifyInstance) => void;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

export async function buildServer(options: BuildOptions): Promise<FastifyInstance> {
  const { tessera } = options;
  const logStream = options.logger === undefined ? (options.logStream ?? stdoutDestination()) : undefined;
  const app = Fastify({
    bodyLimit: BODY_LIMIT,
    logger: options.logger ?? loggerOptions(tessera.config.logLevel, logStream),
    // The access log below writes one line per request instead of Fastify's two.
    ...(logStream === undefined ? {} : { logController: new AccessLogController(), childLoggerFactory: lazyChildLogger }),
    // Behind a load balancer: request.ip (sessions, throttles, logs) from X-Forwarded-For (docs/deploy.md).
    trustProxy: trustProxyOption(tessera.config.trustProxy),
    genReqId: (req) => {
      const given = req.headers["x-request-id"];
      return typeof given === "string" && REQUEST_ID.test(given) ? given : randomUUID();
    },
    requestIdHeader: false,
    return503OnClosing: true,
    forceCloseConnections: "idle",
    // Slow-loris defence: the whole request within TESSERA_REQUEST_TIMEOUT; an idle socket
    // closes after 65 s (longer than the revocation feed's 30 s long-poll).
    requestTimeout: tessera.config.requestTimeoutMs,
    // Node reads requestTimeout when the server is made (Fastify's own setting comes after,
    // and alone left the cut at headersTimeout's 60 s), and checks it every
    // connectionsCheckingInterval (30 s by default): both given here, checked every second.
    http: { requestTimeout: tessera.config.requestTimeoutMs, connectionsCheckingInterval: Math.min(1000, tessera.config.requestTimeoutMs / 2) },
    connectionTimeout: 65_000,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
    // The router's own failures (a URL that does not percent-decode, a path parameter
    // over its length limit) skip the error handler: answer them in the contract's shape.
    frameworkErrors: (error, _request, reply) => {
      sendError(reply, error.code === "FST_ERR_BAD_URL" ? new TesseraError("invalid_request", "The URL is not validly percent-encoded.")
        : error.code === "FST_ERR_MAX_PARAM_LENGTH" ? new TesseraError("not_found", "No such resource.")
          : new TesseraError("server_error", "The server failed to handle the request."));
    },
  });
  options.instrument?.(app);
  app.decorateRequest("principal", null);
  const cors = registerCors(app, tessera.config);
  // Set when the request arrives (they hold for every answer, errors included), with
  // CORS in the same hook: a callback hook, not an async one, since it runs on every request.
  app.addHook("onRequest", (request, reply, done) => {
    reply.header("x-request-id", request.id).header("x-content-type-options", "nosniff");
    if (!cors(request, reply)) done();
  });
  installErrorHandling(app, (error) => tessera.operations.isStoreUnavailable(error));
  // Every answer is timed and gets its access line in one hook (each hook costs every request).
  const metrics = createMetrics(tessera);
  const accessLog = logStream ? createAccessLog(app, logStream, { level: tessera.config.accessLogLevel, sampleRate: tessera.config.accessLogSampleRate, flushMs: tessera.config.accessLogFlushMs }) : undefined;
  app.addHook("onResponse", (request, reply, done) => {
    // Read once: Fastify's routeOptions getter builds a new object of a dozen fields at every read.
    const route = request.routeOptions.url;
    observeAnswer(metrics, request, reply, route);
    accessLog?.record(request, reply, route);
    done();
  });
  if (logStream) {
    app.addHook("onClose", (_instance, done) => {
      accessLog?.close();
      flushLogs(logStream);
      done();
    });
  }
  // Only JSON and form bodies: Fastify's built-in text/plain parser would let a
  // cross-site "simple request" reach the routes without a CORS preflight.
  app.removeContentTypeParser("text/plain");
  await app.register(formbody, { bodyLimit: BODY_LIMIT });
  await registerOpenApi(app, tessera); // before the routes: it collects them as they are added

  // The routes that never read or set a cookie: probes, metrics, the OAuth endpoints
  // (token mode sends none), the documents and the pages.
  discoveryRoutes(app, tessera);
  healthRoutes(app, tessera);
  metricsRoute(app, tessera, metrics);
  tokenRoute(app, tessera);
  revokeRoute(app, tessera);
  introspectRoute(app, tessera);
  revocationsRoute(app, tessera);
  passwordResetRoute(app, tessera);
  emailPageRoutes(app, tessera);
  devMailRoutes(app, tessera);
  // The routes a cookie session can use, in a scope of their own with the cookie plugin:
  // it parses the Cookie header on the way in and writes Set-Cookie on the way out, two
  // hooks that every request to the routes above would otherwise run for nothing.
  await app.register(async (withCookies) => {
    await withCookies.register(cookie);
    const authenticate = makeAuthenticate(tessera, [makeCookieResolver(tessera)]);
    registerRoute(withCookies, tessera);
    userinfoRoute(withCookies, tessera, authenticate);
    sessionRoutes(withCookies, tessera, authenticate);
    passwordRoute(withCookies, tessera, authenticate);
    sessionLoginRoute(withCookies, tessera);
    sessionLogoutRoute(withCookies, tessera);
    bffRoutes(withCookies, tessera, authenticate);
    factorRoutes(withCookies, tessera, authenticate);
    sessionMfaRoute(withCookies, tessera);
    passkeyRoutes(withCookies, tessera, authenticate);
    emailApiRoutes(withCookies, tessera, authenticate);
    sessionOtpRoute(withCookies, tessera);
    await adminRoutes(withCookies, tessera, authenticate);
  });
  await openApiRoutes(app);
  if (tessera.config.demoPage) webRoutes(app, options.webRoot);
  return app;
}
