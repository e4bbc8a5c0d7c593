/**
 * The core, assembled: one object the HTTP layer and the CLI call. It owns the
 * store, the key ring and the services, and knows nothing about HTTP.
 */
import { join } from "node:path";
import type { Store, SessionRow, SessionView, UserRow, UserView } from "../store/index.js";
import { openSqliteStore } from "../store/index.js";
import { AccessTokens, type AccessTokenClaims } from "./tokens/access-tokens.js";
import { ClientService } from "./clients.js";
import { joinCluster, openRedisLink, watchKeysUntilJoined } from "./cluster/cluster.js";
import { CookieSessionService } from "./cookie-sessions.js";
import type { Config } from "./config.js";
import { invalidField, invalidToken, TesseraError } from "./errors.js";
import { AuthEvents } from "./events.js";
import { KeyRing } from "./key-ring.js";
import { deriveKey, loadMasterKey } from "./master-key.js";
import { PasswordHasher, passwordProblem, type WorkerModule } from "./passwords.js";
import { RevocationFeed } from "./revocation-feed.js";
import { refreshTokenKeys } from "./refresh-tokens.js";
import { SessionService } from "./sessions.js";
import { TokenService } from "./token-service.js";
import { TokenLifetime } from "./token-lifetime.js";
import { parseRoles, UserService } from "./users.js";
import { AdminUsers, iso } from "./admin.js";
import { AdminResources } from "./admin-resources.js";
import { ApiResources } from "./api-resources.js";
import { AuditLog } from "./audit-log.js";
import type { CounterStore } from "./backoff.js";
import { KeyRotation } from "./key-rotation.js";
import { PasswordResets } from "./password-resets.js";
import { Throttle, throttlePolicy } from "./throttle.js";
import type { RequestMeta } from "./sessions.js";
import { FactorService } from "./mfa/factors.js";
import { SecondStep } from "./mfa/second-step.js";
import { AdminFactors } from "./mfa/admin-factors.js";
import { MFA_TOKEN_TTL_MS, mfaUseCases, principalAuth } from "./mfa/use-cases.js";
import { setUpEmail } from "./email/setup.js";
import type { MailTransport } from "./email/transport.js";

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

/**
 * Who made an authenticated request. A Bearer token resolves to the narrow
 * views every protected route can use (one small read per request); a cookie
 * session to the whole rows, which its sliding expiry and the BFF need.
 */
export type Principal =
  | { auth: "bearer"; user: UserView; session: SessionView; claims: AccessTokenClaims }
  | { auth: "cookie"; user: UserRow; session: SessionRow };

/** The email-code sign-in grant (docs/email.md). */
export const EMAIL_OTP_GRANT = "urn:tessera:params:oauth:grant-type:email-otp";
/** The second step of a sign-in (docs/mfa.md). */
export const MFA_GRANT = "urn:tessera:params:oauth:grant-type:mfa";
/** A passwordless passkey sign-in (docs/mfa.md). */
export const PASSKEY_GRANT = "urn:tessera:params:oauth:grant-type:passkey";

export type Tessera = Awaited<ReturnType<typeof createTessera>>;

export async function openStore(config: Config): Promise<Store> {
  if (config.databaseUrl) {
    const { openPostgresStore } = await import("../store/postgres/postgres-store.js");
    return openPostgresStore({
      connectionString: config.databaseUrl, poolSize: config.pgPoolSize, statementTimeout: config.pgStatementTimeout * 1000,
      ...(config.pgSchema ? { schema: config.pgSchema } : {}),
    });
  }
  return openSqliteStore({ filename: join(config.dataDir, "tessera.db") });
}

export async function createTessera(config: Config, deps: TesseraDeps = {}) {
  const now = deps.now ?? Date.now;
  const store = deps.store ?? (await openStore(config));
  const masterKey = loadMasterKey(config);
  const events = new AuthEvents();
  // Retired keys and revocation entries outlive the longest token ever issued, not today's TTL.
  const tokenLifetime = await TokenLifetime.open(store, config.accessTokenTtl, { record: deps.recordTokenLifetime ?? true });
  const keys = new KeyRing({
    store, sealingKey: deriveKey(masterKey, "key-encryption"), alg: config.signingAlg,
    publishAhead: config.jwksMaxAge * 1000, get tokenLifetime() { return tokenLifetime.longest * 1000; }, now,
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
  await clients.ensureBuiltins(config.accessTokenTtl);
  // Throttle counters: this process's memory, or Redis when instances share them
  // (deps.redis: the cluster setup's ioredis client and key prefix).
  const counters: CounterStore = deps.redis ?? (redisLink ? { redis: redisLink.client, keyPrefix: config.redisPrefix } : {});
  // Time is the injected clock.
  const throttle = new Throttle(throttlePolicy(config), counters, now);
  // Email (docs/email.md): the outbox sender starts with the server (start.ts), not here.
  const mail = setUpEmail({ config, store, events, hasher, throttle, masterKey, now, counters, ...(deps.mailTransport ? { transport: deps.mailTransport } : {}) });
  const users = new UserService({ store, hasher, events, now, emailWrites: (u) => mail.service.registrationWrites(u), emailQueued: (w) => mail.service.queued(w) });
  // Second factors (docs/mfa.md): the gate below is asked before every session of an unfinished sign-in starts.
  const factors = new FactorService({ store, events, now, sealingKey: deriveKey(masterKey, "totp-secret"), issuerLabel: new URL(config.issuer).host });
  const sessions = new SessionService({
    // secondStep is built below, beside the throttle it uses; the gate runs only once requests arrive.
    store, events, now, gate: (...args) => secondStep.gate(...args),
    refreshKeys: refreshTokenKeys(masterKey),
    policy: {
      idleTimeout: config.sessionIdleTimeout * 1000, absoluteLifetime: config.sessionAbsoluteLifetime * 1000,
      graceWindow: config.refreshGraceWindow * 1000, get accessTokenTtl() { return tokenLifetime.longest; },
    },
  });
  const accessTokens = new AccessTokens({ keys, get issuer() { return config.issuer; }, get audience() { return config.audience; }, now }); // read live: set after listen with PORT=0
  const secondStep = new SecondStep({ store, factors, events, now, tokenTtl: MFA_TOKEN_TTL_MS, maxAttempts: config.mfaTokenAttempts, throttle });
  const audit = new AuditLog({ store, events, now });
  const keyRotation = new KeyRotation({ keys, events, now, rotationDays: config.keyRotationDays });
  const resets = new PasswordResets({ store, hasher, sessions, events, now, ttl: config.passwordResetTtl * 1000 });
  const admin = {
    users: new AdminUsers({ store, users, sessions, resets, events }),
    resources: new AdminResources({ clients, keys, rotation: keyRotation, audit, events }),
    apis,
  };
  const tokens = new TokenService({ store, users, clients, sessions, accessTokens, events, defaultScopes: config.defaultScopes, accessTokenTtl: config.accessTokenTtl, now, throttle, apis, get ownAudience() { return config.audience; }, requireVerifiedEmail: config.requireVerifiedEmail });
  const cookieSessions = new CookieSessionService({ store, users, sessions, events, csrfKey: deriveKey(masterKey, "csrf"), now, throttle, requireVerifiedEmail: config.requireVerifiedEmail });
  const mfa = mfaUseCases({ config, factors, secondStep, tokens, cookieSessions, clients, store, events, now });
  const adminFactors = new AdminFactors({ store, factors, sessions, events, find: (who) => admin.users.get(who) });
  const feed = new RevocationFeed({ store, now, maxPolls: config.feedMaxPolls, maxPollsPerIp: config.feedMaxPollsPerIp });
  events.on("sessions-ended", () => feed.notify());
  const cluster = joinCluster(redisLink, { events, feed, keys }, keyWatch.changed());

  /** Resolves a Bearer token to a live user session; throws invalid_token otherwise. */
  async function authenticateBearer(token: string): Promise<Principal> {
    const claims = await accessTokens.verifyReloadingKeys(token);
    if (claims.sid === undefined) throw invalidToken("no sid", "This token does not represent a signed-in user.");
    const live = await sessions.liveSession(claims.sid, claims.sub);
    if (!live) throw invalidToken("session ended", "The session of this token has ended.");
    if (!(await clients.usable(live.session.client_id))) throw invalidToken("client disabled or removed", "The client of this token is disabled.");
    return { auth: "bearer", user: live.user, session: live.session, claims };
  }

  function userinfo(p: Principal) {
    const { amr, authTime } = principalAuth(p);
    return { sub: p.user.id, username: p.user.username, email: p.user.email, email_verified: Boolean(p.user.email_verified_at), roles: parseRoles(p.user), auth: p.auth, amr, auth_time: authTime };
  }

  async function listSessions(p: Principal) {
    const rows = await sessions.list(p.user.id);
    return rows.map((s) => ({
      id: s.id, created_at: iso(s.created_at), last_used_at: iso(s.last_used_at), expires_at: iso(sessions.deadline(s)),
      user_agent: s.user_agent, ip: s.ip, kind: s.kind, client_id: s.client_id, current: s.id === p.session.id,
    }));
  }

  async function changePassword(p: Principal, current: string, next: string, meta: RequestMeta = {}): Promise<void> {
    const problem = passwordProblem(next, { username: p.user.username });
    if (problem) throw invalidField("new_password", problem);
    // Throttled like a sign-in: a stolen access token must not become an unlimited password oracle.
    await throttle.signIn(p.user.username, meta.ip, async () => {
      // The stored hash is read here, not carried by the principal: protected routes never load it.
      const stored = await store.findUserById(p.user.id);
      if (!stored) throw invalidToken("user deleted", "The user of this session no longer exists.");
      const check = await hasher.verify(stored.password_hash, current, { signal: meta.signal });
      if (!check.ok) throw new TesseraError("invalid_credentials", "The current password is incorrect.");
    }, "invalid_credentials");
    const hash = await hasher.hash(next, { signal: meta.signal });
    const ended = await store.changePassword(p.user.id, hash, p.session.id, sessions.endRecord("password_changed"));
    events.emit("password-changed", { userId: p.user.id, via: "self", ip: meta.ip, userAgent: meta.userAgent });
    if (ended.length > 0) events.emit("sessions-ended", { sessionIds: ended, reason: "password_changed", userId: p.user.id, ip: meta.ip, userAgent: meta.userAgent });
  }

  function discovery() {
    const base = config.issuer;
    return {
      issuer: base,
      token_endpoint: `${base}/oauth/token`,
      revocation_endpoint: `${base}/oauth/revoke`,
      introspection_endpoint: `${base}/oauth/introspect`,
      jwks_uri: `${base}/.well-known/jwks.json`,
      userinfo_endpoint: `${base}/userinfo`,
      registration_endpoint: `${base}/auth/register`,
      revocation_feed_endpoint: `${base}/oauth/revocations`,
      grant_types_supported: ["password", "refresh_token", "client_credentials", MFA_GRANT, PASSKEY_GRANT, EMAIL_OTP_GRANT],
      token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post", "none"],
      revocation_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post", "none"],
      introspection_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
      response_types_supported: [],
      scopes_supported: config.supportedScopes,
      token_endpoint_auth_signing_alg_values_supported: [],
      access_token_signing_alg_values_supported: [config.signingAlg],
    };
  }

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
    authenticateBearer, userinfo, listSessions, changePassword, discovery,
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
