/**
 * The composition root: opens the store, builds the key ring and the services
 * of every feature folder, and exposes them as the declared API (api.ts). It
 * knows nothing about HTTP.
 */
import { join } from "node:path";
import type { Store } from "../store/index.js";
import { openSqliteStore } from "../store/index.js";
import type { Tessera } from "./api.js";
import { AccessTokens } from "./tokens/access-tokens.js";
import type { Config } from "./config.js";
import { AuthEvents } from "./events.js";
import type { CounterStore } from "./abuse/backoff.js";
import { Throttle, throttlePolicy } from "./abuse/throttle.js";
import { changePassword } from "./accounts/change-password.js";
import { ensureFirstAdmin } from "./accounts/first-admin.js";
import { PasswordHasher, type WorkerModule } from "./accounts/passwords.js";
import { PasswordResets } from "./accounts/password-resets.js";
import { userinfo } from "./accounts/userinfo.js";
import { parseRoles, UserService } from "./accounts/users.js";
import { AdminResources, clientView } from "./admin/admin-resources.js";
import { AdminUsers, sessionView, userView } from "./admin/admin-users.js";
import { AuditLog } from "./audit/audit-log.js";
import { ApiResources } from "./clients/api-resources.js";
import { ClientService } from "./clients/clients.js";
import { joinCluster, openRedisLink, watchKeysUntilJoined } from "./cluster/cluster.js";
import { setUpEmail } from "./email/setup.js";
import { canonicalToken } from "./email/secrets.js";
import { listMailFiles, type MailTransport } from "./email/transport.js";
import { safeEqual } from "./crypto-utils.js";
import { KeyRing } from "./keys/key-ring.js";
import { KeyRotation } from "./keys/key-rotation.js";
import { deriveKey, loadMasterKey } from "./keys/master-key.js";
import { AdminFactors } from "./mfa/admin-factors.js";
import { FactorService } from "./mfa/factors.js";
import { SecondStep } from "./mfa/second-step.js";
import { assertRecentSignIn } from "./mfa/step-up.js";
import { MFA_TOKEN_TTL_MS, mfaUseCases, principalAuth } from "./mfa/use-cases.js";
import { BffTokens } from "./sessions/bff-tokens.js";
import { CookieSessionService } from "./sessions/cookie-sessions.js";
import { listOwnSessions } from "./sessions/own-sessions.js";
import { refreshTokenKeys } from "./sessions/refresh-token-format.js";
import { RevocationFeed } from "./sessions/revocation-feed.js";
import { SessionService } from "./sessions/session-service.js";
import { authenticateBearer } from "./tokens/bearer.js";
import { serverMetadata } from "./tokens/metadata.js";
import { TokenLifetime } from "./tokens/token-lifetime.js";
import { TokenService } from "./tokens/token-service.js";

/** Revocation entries are kept this long after the tokens they name have expired. */
const REVOCATION_RETENTION_MS = 86_400_000;

export interface TesseraDeps {
  /** A store to use instead of opening the configured one (tests, benchmarks). */
  store?: Store;
  /** The clock, epoch ms (tests drive expiry with it). */
  now?: () => number;
  /** Concurrent password hashes (default: cores - 1). */
  hashConcurrency?: number;
  /** Password hashes that may wait for a slot (default: config.hashQueueLimit, else 4 × concurrency). */
  hashQueueLimit?: number;
  /** The module the hashing threads run (tests wrap the real one to hold or count hashes). */
  hashWorker?: WorkerModule;
  /** Shared throttle counters (an ioredis client and key prefix); default: this process's memory. */
  redis?: CounterStore;
  /** Where messages go instead of the configured SMTP server or folder (tests). */
  mailTransport?: MailTransport;
  /** false: read the longest access-token lifetime ever configured without recording this one (admin commands). */
  recordTokenLifetime?: boolean;
}

export { EMAIL_OTP_GRANT, MFA_GRANT, PASSKEY_GRANT, type Principal, type Tessera } from "./api.js";

/**
 * The assembled core: the declared API plus its parts. Only tests and the
 * composition itself use `parts`; the server, the CLI and the benchmarks are
 * handed the `Tessera` interface.
 */
export interface TesseraCore extends Tessera {
  readonly parts: CoreParts;
}

export type CoreParts = Awaited<ReturnType<typeof assembleParts>>;

export async function openStore(config: Config): Promise<Store> {
  if (config.databaseUrl) {
    const { openPostgresStore } = await import("../store/postgres/postgres-store.js");
    return openPostgresStore({
      connectionString: config.databaseUrl, poolSize: config.pgPoolSize, statementTimeoutMs: config.pgStatementTimeoutMs,
      ...(config.pgSchema ? { schema: config.pgSchema } : {}),
    });
  }
  return openSqliteStore({ filename: join(config.dataDir, "tessera.db") });
}

async function assembleParts(config: Config, deps: TesseraDeps) {
  const now = deps.now ?? Date.now;
  const store = deps.store ?? (await openStore(config));
  const masterKey = loadMasterKey(config);
  const events = new AuthEvents();
  // Retired keys and revocation entries outlive the longest token ever issued, not today's TTL.
  const tokenLifetime = await TokenLifetime.open(store, config.accessTokenTtlSeconds, { record: deps.recordTokenLifetime ?? true });
  const keys = new KeyRing({
    store, sealingKey: deriveKey(masterKey, "key-encryption"), alg: config.signingAlg,
    publishAheadMs: config.jwksMaxAgeSeconds * 1000, get tokenLifetimeMs() { return tokenLifetime.longestSeconds * 1000; }, now,
  });
  const keyWatch = watchKeysUntilJoined(keys);
  await keys.load();
  // Optional (REDIS_URL): shared throttle counters and notices between instances (cluster/).
  const redisLink = await openRedisLink(config);
  const hasher = new PasswordHasher({
    memoryKib: config.argon2MemoryKib, iterations: config.argon2Iterations, parallelism: config.argon2Parallelism,
    niceIncrement: config.hashNice,
    ...((deps.hashQueueLimit ?? config.hashQueueLimit) === undefined ? {} : { queueLimit: deps.hashQueueLimit ?? config.hashQueueLimit }),
    ...((deps.hashConcurrency ?? config.hashConcurrency) === undefined ? {} : { concurrency: deps.hashConcurrency ?? config.hashConcurrency }),
  }, deps.hashWorker); // undefined: the real module
  const apis = new ApiResources({ store, events, now, get ownAudience() { return config.audience; } }); // read live: set after listen with PORT=0
  const clients = new ClientService(store, now, config.supportedScopes, async () => (await apis.list()).flatMap((a) => a.scopes));
  await clients.ensureBuiltins(config.accessTokenTtlSeconds);
  // Throttle counters: this process's memory, or Redis when instances share them
  // (deps.redis: the cluster setup's ioredis client and key prefix).
  const counters: CounterStore = deps.redis ?? (redisLink ? { redis: redisLink.client, keyPrefix: config.redisPrefix } : {});
  // Time is the injected clock.
  const throttle = new Throttle(throttlePolicy(config), counters, now);
  // Email (docs/email.md): the outbox sender starts with the server (start.ts), not here.
  const mail = setUpEmail({ config, store, events, hasher, throttle, masterKey, now, counters, ...(deps.mailTransport ? { transport: deps.mailTransport } : {}) });
  const users = new UserService({ store, hasher, events, now, emailWrites: (u) => mail.service.registrationWrites(u), emailQueued: (w) => mail.service.queued(w) });
  // Second factors (docs/mfa.md): the gate below is asked before every session of an unfinished sign-in starts.
  const factors = new FactorService({ store, events, now, sealingKey: deriveKey(masterKey, "totp-secret"), get issuerLabel() { return new URL(config.issuer).host; } }); // read live, like the issuer below
  const sessions = new SessionService({
    // secondStep is built below, beside the throttle it uses; the gate runs only once requests arrive.
    store, events, now, gate: (...args) => secondStep.gate(...args),
    refreshKeys: refreshTokenKeys(masterKey),
    policy: {
      idleTimeoutMs: config.sessionIdleTimeoutMs, absoluteLifetimeMs: config.sessionAbsoluteLifetimeMs,
      graceWindowMs: config.refreshGraceWindowMs, get longestAccessTokenTtlMs() { return tokenLifetime.longestSeconds * 1000; },
    },
  });
  const accessTokens = new AccessTokens({ keys, get issuer() { return config.issuer; }, get audience() { return config.audience; }, now }); // read live: set after listen with PORT=0
  const secondStep = new SecondStep({ store, factors, events, now, tokenTtlMs: MFA_TOKEN_TTL_MS, maxAttempts: config.mfaTokenAttempts, throttle, requiredRoles: () => config.mfaRequiredRoles });
  const audit = new AuditLog({ store, events, now });
  const keyRotation = new KeyRotation({ keys, events, now, rotationDays: config.keyRotationDays });
  const resets = new PasswordResets({ store, hasher, sessions, events, now, ttlMs: config.passwordResetTtlMs });
  const admin = {
    users: new AdminUsers({ store, users, sessions, resets, events }),
    resources: new AdminResources({ clients, keys, rotation: keyRotation, audit, events }),
    apis,
  };
  const tokens = new TokenService({ store, users, clients, sessions, accessTokens, events, defaultScopes: config.defaultScopes, accessTokenTtlSeconds: config.accessTokenTtlSeconds, now, throttle, apis, get ownAudience() { return config.audience; }, requireVerifiedEmail: config.requireVerifiedEmail });
  const cookieSessions = new CookieSessionService({ store, users, sessions, events, csrfKey: deriveKey(masterKey, "csrf"), now, throttle, requireVerifiedEmail: config.requireVerifiedEmail });
  const mfa = mfaUseCases({ config, factors, secondStep, tokens, cookieSessions, clients, store, events, now });
  const adminFactors = new AdminFactors({ store, factors, sessions, events, find: (who) => admin.users.get(who) });
  const feed = new RevocationFeed({ store, now, maxPolls: config.feedMaxPolls, maxPollsPerIp: config.feedMaxPollsPerIp });
  events.on("sessions-ended", () => feed.notify());
  const cluster = joinCluster(redisLink, { events, feed, keys }, keyWatch.changed());

  return {
    config, store, events, keys, hasher, clients, users, sessions, cookieSessions, accessTokens, tokens, feed, now,
    throttle, audit, keyRotation, resets, admin, tokenLifetime, factors, secondStep, mfa, adminFactors,
    /** Email: use cases (`mail.service`), the outbox sender, where messages go. */
    mail,
    /** The shared Redis command client (REDIS_URL), or undefined; keys go under `config.redisPrefix`. */
    redis: redisLink?.client,
    /** Redis connection state and round trips (readiness, metrics); undefined without REDIS_URL. */
    redisLink,
    /** Notices to and from the other instances; undefined without Redis. */
    cluster,
    bffTokens: new BffTokens({ clients, tokens, now }),
  };
}

export async function createTessera(config: Config, deps: TesseraDeps = {}): Promise<TesseraCore> {
  const parts = await assembleParts(config, deps);
  const { store, events, keys, hasher, clients, users, sessions, cookieSessions, accessTokens, tokens, feed, now, throttle, audit, keyRotation, resets, admin, tokenLifetime, factors, mfa, adminFactors, mail, redisLink, cluster, bffTokens } = parts;
  const bound = <T extends object, K extends keyof T>(target: T, ...names: K[]): Pick<T, K> => {
    const picked = {} as Pick<T, K>;
    for (const name of names) {
      const member = target[name];
      // Methods are bound; fields and getters (counters, `onError` hooks) stay live, read and written through.
      const isMethod = typeof member === "function" && !Object.prototype.hasOwnProperty.call(target, name);
      Object.defineProperty(picked, name, isMethod
        ? { value: (member as (...args: unknown[]) => unknown).bind(target), enumerable: true }
        : { get: () => target[name], set: (value: T[K]) => { target[name] = value; }, enumerable: true });
    }
    return picked;
  };
  return {
    parts, config, now,
    events: bound(events, "on"),
    tokens: {
      ...bound(tokens, "passwordGrant", "clientCredentialsGrant", "emailCodeGrant", "revoke", "introspect"),
      // Refused tokens count against the caller's address; valid ones cost one counter read.
      refreshGrant: (credentials, input, meta = {}) => throttle.tokenRedemption(meta.ip, () => tokens.refreshGrant(credentials, input, meta)),
      authenticateBearer: (token) => authenticateBearer({ accessTokens, sessions, clients }, token),
      jwks: () => keys.jwks(),
      metadata: () => serverMetadata(config),
    },
    clients: bound(clients, "authenticate", "resolveScope", "list"),
    account: {
      userinfo,
      sessions: (p) => listOwnSessions(sessions, p),
      changePassword: (p, current, next, meta) => changePassword({ store, hasher, throttle, sessions, events }, p, current, next, meta),
      endSession: (p, sessionId, meta = {}) => sessions.endOwn(p.user.id, sessionId, "revoked", meta),
      endCurrentSession: async (p, meta = {}) => { await sessions.end(p.session.id, "logout", { userId: p.user.id, ...meta }); },
      endAllSessions: async (p, meta = {}) => { await sessions.endAll(p.user.id, "logout_all", meta); },
      roles: (p) => parseRoles(p.user),
    },
    users: {
      // Every attempt counts against the caller's address (a taken name is a probe too).
      register: (input, meta) => throttle.registration(meta.ip, () => users.register(input, meta)),
      find: (who) => users.find(who),
      list: (query) => store.listUsers(query),
      lookAlikes: () => users.lookAlikes(),
      ensureFirstAdmin: (username, password) => ensureFirstAdmin({ users, events }, username, password),
    },
    sessions: {
      list: (userId) => sessions.list(userId),
      end: (sessionId, reason, context) => sessions.end(sessionId, reason, context),
      get idleTimeoutMs() { return sessions.policy.idleTimeoutMs; },
    },
    cookieSessions: {
      ...bound(cookieSessions, "login", "loginWithCode", "replaced", "resolve", "touch", "csrfTokenFor", "verifyCsrf"),
      accessToken: (p) => bffTokens.accessToken(p),
    },
    resets: { redeem: (token, newPassword, meta) => throttle.tokenRedemption(meta.ip, () => resets.redeem(token, newPassword, meta)), peek: (token) => resets.peek(token) },
    factors: {
      ...bound(factors, "list", "enrolTotp", "confirmTotp", "remove", "assertHasFactor", "newRecoveryCodes"),
      assertRecentSignIn: (p) => assertRecentSignIn(principalAuth(p), config.stepUpMaxAgeSeconds, now()),
    },
    mfa: bound(mfa, "tokenGrant", "passkeyTokenGrant", "cookieLogin", "passkeyCookieLogin", "secondStepPasskeyOptions", "enrolTotpForSignIn", "enrolPasskeyOptionsForSignIn", "passkeys"),
    mail: {
      service: mail.service, sender: mail.sender, mailDir: mail.mailDir, devPage: mail.devPage, description: mail.description,
      formToken: mail.formToken, checkFormToken: mail.checkFormToken,
      verifyAddress: (token, meta) => throttle.tokenRedemption(meta.ip, () => mail.service.verify(token, meta)),
      storedMessages: (limit) => (mail.mailDir === undefined ? [] : listMailFiles(mail.mailDir, limit)),
      canonicalToken,
    },
    admin: {
      users: {
        ...bound(admin.users, "list", "get", "create", "setDisabled", "setRoles", "forcePasswordReset", "sessions", "revokeSession"),
        sessionViews: async (who) => (await admin.users.sessions(who)).map((s) => sessionView(s, sessions.policy.idleTimeoutMs)),
      },
      views: { user: userView, client: clientView },
      resources: admin.resources,
      apis: bound(admin.apis, "create", "list", "get", "update", "remove"),
      factors: bound(adminFactors, "list", "reset"),
      outbox: { list: (query) => store.listOutbox(query) },
    },
    keys: { rows: () => keys.rows(), rotate: (actor) => keyRotation.rotate(actor), revoke: (kid, actor) => keyRotation.revoke(kid, actor) },
    feed: bound(feed, "read", "held", "stop"),
    operations: {
      sweepSessions: (nowMs) => store.sweep(nowMs, nowMs - sessions.policy.idleTimeoutMs, REVOCATION_RETENTION_MS),
      pruneAuditEvents: (before) => store.pruneAuditEvents(before),
      sweepEmail: (sentBefore, failedBefore, nowMs) => store.sweepEmail(sentBefore, failedBefore, nowMs),
      keyStep: () => keyRotation.tick(),
      refreshTokenLifetime: () => tokenLifetime.refresh(),
      get longestAccessTokenTtlSeconds() { return tokenLifetime.longestSeconds; },
      pingStore: () => store.ping(),
      isStoreUnavailable: (error) => store.isUnavailable(error),
      countLiveSessions: () => { const at = now(); return store.countLiveSessions(at, at - sessions.policy.idleTimeoutMs); },
      countOutbox: () => store.countOutbox(),
      hashing: bound(hasher, "queueDepth", "running"),
      audit: bound(audit, "onError", "pending", "dropped"),
      isMetricsToken: (presented) => config.metricsToken !== undefined && safeEqual(presented, config.metricsToken),
      redisLink, cluster,
    },
    async close(): Promise<void> {
      feed.stop();
      await mail.sender.stop();
      await mail.service.settled(); // work started after an answer (a reset asked for) reaches the outbox
      await audit.close(); // buffered audit rows reach the store before it closes
      await cluster?.flush(); // notices already sent (a CLI `keys rotate`) reach Redis before it closes
      await redisLink?.close();
      await store.close();
      await hasher.close();
    },
  };
}
