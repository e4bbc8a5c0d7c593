/**
 * Every setting in one table: its environment variable, unit, default and
 * meaning. The table validates the environment at start (naming each bad
 * setting), and `scripts/config-table.ts` prints it for the README.
 *
 * Every duration carries its unit in its name (`…Ms`, `…Seconds`, `…Days`).
 * The environment variables keep the units the README gives them (mostly
 * seconds); a setting the code uses in milliseconds is converted here, once,
 * by `ms()`, so no caller multiplies by 1000.
 */
import { resolve } from "node:path";
import { ROLE_NAME } from "./accounts/users.js";
import { parseRedisUrl, parseSchemaName, parseTrustProxy, type TrustProxy } from "./cluster/config-parsers.js";

export type SigningAlgorithm = "ES256" | "RS256" | "EdDSA";

export interface Config {
  host: string;
  port: number;
  issuer: string;
  audience: string;
  dataDir: string;
  /** Database URL: empty for the embedded SQLite file in dataDir. */
  databaseUrl: string;
  /** PostgreSQL connections per instance. */
  pgPoolSize: number;
  /** How long a PostgreSQL statement may run; 0: no limit. */
  pgStatementTimeoutMs: number;
  /** PostgreSQL schema to create and use; empty: the connection's search_path. */
  pgSchema: string;
  /** Redis URL (shared throttle counters, revocation and key notices); empty: no Redis. */
  redisUrl: string;
  /** Prefix of every Redis key and channel this deployment uses. */
  redisPrefix: string;
  /** Fastify trustProxy: which X-Forwarded-* headers to believe (the load balancer's). */
  trustProxy: TrustProxy;
  /** How long in-flight requests get to finish after SIGTERM. */
  shutdownTimeoutMs: number;
  /** When set, `GET /metrics` requires `Authorization: Bearer <this>`. */
  metricsToken: string | undefined;
  masterKey: string | undefined;
  signingAlg: SigningAlgorithm;
  accessTokenTtlSeconds: number;
  sessionIdleTimeoutMs: number;
  sessionAbsoluteLifetimeMs: number;
  refreshGraceWindowMs: number;
  jwksMaxAgeSeconds: number;
  argon2MemoryKib: number;
  argon2Iterations: number;
  argon2Parallelism: number;
  /** Password hashes computed at once; undefined: CPU cores - 1 (at least 1). */
  hashConcurrency: number | undefined;
  /** Password hashes that may wait for a hashing slot; more are refused (503). Undefined: 4 × hashConcurrency. */
  hashQueueLimit: number | undefined;
  /** Nice increment of the hashing threads (Linux): how readily sign-ins yield the CPU to other requests. */
  hashNice: number;
  defaultScopes: string[];
  supportedScopes: string[];
  allowedOrigins: string[];
  logLevel: string;
  /** Level of the one access line per request; "off": none. */
  accessLogLevel: string;
  /** Fraction (0–1) of successful requests (status below 400) that get an access line; errors always do. */
  accessLogSampleRate: number;
  /** How long an access line may wait to go out with others; 0: at the end of its event-loop turn. */
  accessLogFlushMs: number;
  /** Time between expired-session sweeps; 0 turns the sweeper off. */
  sweepIntervalMs: number;
  /** Serve the demo page at `/`. */
  demoPage: boolean;
  /** Combined mode: `/bff/*` forwards cookie-authenticated requests here with a Bearer token; empty disables. */
  bffUpstream: string;
  /** Throttles (docs/security.md): free attempts per window for each dimension; 0 turns one off. */
  throttleSignInAccount: number;
  throttleSignInIp: number;
  throttleRegisterIp: number;
  throttleTokenIp: number;
  /** Failed second-factor attempts per account (TOTP, passkey, recovery code). */
  throttleSecondFactorAccount: number;
  /** Failed email sign-in codes per account. */
  throttleEmailCodeAccount: number;
  /** Emails sent per recipient address. */
  throttleEmailSendAddress: number;
  /** Emails sent per requesting IP. */
  throttleEmailSendIp: number;
  throttleWindowSeconds: number;
  throttleBaseDelaySeconds: number;
  throttleMaxDelaySeconds: number;
  /** Days a signing key signs before the schedule rotates it; 0: never. */
  keyRotationDays: number;
  /** How long an admin-issued password-reset token stays valid. */
  passwordResetTtlMs: number;
  /** Days audit rows are kept; 0: forever. */
  auditRetentionDays: number;
  /** Second-factor codes tried per mfa_token (reserved before each check). */
  mfaTokenAttempts: number;
  /** Roles whose holders must have a second factor: without one, a sign-in answers mfa_enrollment_required (docs/mfa.md). */
  mfaRequiredRoles: string[];
  /** How recent a sign-in the sensitive routes require (RFC 9470 max_age); 0 turns the check off. */
  stepUpMaxAgeSeconds: number;
  /** WebAuthn relying-party id; empty: the issuer's host name (passkeys are off when that is an IP address). */
  webauthnRpId: string;
  /** Origins allowed in WebAuthn responses; empty: the issuer's origin. */
  webauthnOrigins: string[];
  /** How long a client has to send a whole request. */
  requestTimeoutMs: number;
  /** Revocation-feed long polls one instance holds at once. */
  feedMaxPolls: number;
  /** Revocation-feed long polls one client address may hold at once on one instance. */
  feedMaxPollsPerIp: number;
  /** First admin created at start when no user has this name (with adminPassword). */
  adminUsername: string;
  adminPassword: string | undefined;
  /** Email (docs/email.md). `smtp://user:pass@host:port` or `smtps://…`; empty: messages kept as .eml files. */
  smtpUrl: string;
  /** The From address of every message. */
  mailFrom: string;
  /** Folder of template overrides; empty: the built-in templates. */
  mailTemplatesDir: string;
  smtpTimeoutSeconds: number;
  mailMaxAttempts: number;
  mailRetryBaseSeconds: number;
  mailPollIntervalMs: number;
  mailRetentionDays: number;
  emailVerifyTtlSeconds: number;
  emailResetTtlSeconds: number;
  emailCodeTtlSeconds: number;
  emailCodeMaxAttempts: number;
  requireVerifiedEmail: boolean;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid configuration:\n  ${problems.join("\n  ")}`);
    this.problems = problems;
  }
}

interface Setting<K extends keyof Config> {
  key: K;
  env: string;
  doc: string;
  /** Default as shown in docs; `undefined` means "not set". */
  fallback: string | undefined;
  parse(raw: string, partial: Partial<Config>): Config[K];
}

function int(min: number, max: number) {
  return (raw: string): number => {
    if (!/^\d+$/.test(raw.trim())) throw new Error(`must be a whole number between ${min} and ${max}`);
    const n = Number(raw);
    if (n < min || n > max) throw new Error(`must be between ${min} and ${max}`);
    return n;
  };
}

/** A whole number of seconds in the environment, milliseconds in Config. */
function ms(parseSeconds: (raw: string) => number) {
  return (raw: string): number => parseSeconds(raw) * 1000;
}

function list(raw: string): string[] {
  return raw.split(/[\s,]+/).filter(Boolean);
}

function origin(raw: string): string {
  const url = new URL(raw);
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("must be an http(s) URL");
  return url.origin;
}

const DAY = 86_400;

function setting<K extends keyof Config>(s: Setting<K>): Setting<K> {
  return s;
}

/** The configuration table, in the order the README shows it. */
export const settings = [
  setting({ key: "host", env: "HOST", fallback: "127.0.0.1", doc: "Interface to listen on.", parse: (r) => r }),
  setting({ key: "port", env: "PORT", fallback: "3000", doc: "TCP port (0 picks a free one).", parse: int(0, 65535) }),
  setting({ key: "issuer", env: "TESSERA_ISSUER", fallback: undefined, doc: "Issuer URL (`iss`); every discovery URL is built from it. Default: `http://localhost:<port listened on>` (with `PORT=0`, the port picked). An issuer on port 0 takes the listening port.", parse: (r) => {
    const url = new URL(r);
    if (url.search || url.hash) throw new Error("must have no query or fragment");
    return url.href.replace(/\/$/, "");
  } }),
  setting({ key: "audience", env: "TESSERA_AUDIENCE", fallback: undefined, doc: "Access-token audience (`aud`). Default: the issuer.", parse: (r) => r }),
  setting({ key: "dataDir", env: "TESSERA_DATA_DIR", fallback: "./data", doc: "Folder for the SQLite database and the master key file (created 0700; the files in it 0600).", parse: (r) => resolve(r) }),
  setting({ key: "databaseUrl", env: "DATABASE_URL", fallback: "", doc: "`postgres://…` to use PostgreSQL; empty for SQLite in the data folder.", parse: (r) => {
    if (r && !/^postgres(ql)?:\/\//.test(r)) throw new Error("must be a postgres:// URL or empty");
    return r;
  } }),
  setting({ key: "pgPoolSize", env: "TESSERA_PG_POOL_SIZE", fallback: "10", doc: "PostgreSQL connections per instance (docs/deploy.md: instances × pool size must stay under the server's max_connections).", parse: int(1, 1000) }),
  setting({ key: "pgStatementTimeoutMs", env: "TESSERA_PG_STATEMENT_TIMEOUT", fallback: "5", doc: "Seconds a PostgreSQL statement may run before the server cancels it; 0: no limit.", parse: ms(int(0, 3600)) }),
  setting({ key: "pgSchema", env: "TESSERA_PG_SCHEMA", fallback: "", doc: "PostgreSQL schema to create and use; empty: the connection's `search_path` (normally `public`).", parse: parseSchemaName }),
  setting({ key: "redisUrl", env: "REDIS_URL", fallback: "", doc: "`redis://…` to share throttle counters and relay revocation and key notices between instances (docs/deploy.md); empty: none.", parse: parseRedisUrl }),
  setting({ key: "redisPrefix", env: "TESSERA_REDIS_PREFIX", fallback: "tessera:", doc: "Prefix of every Redis key and channel, so several deployments can share one Redis.", parse: (r) => {
    if (!/^[\w:.-]{1,64}$/.test(r)) throw new Error("must be 1 to 64 letters, digits or _ : . -");
    return r;
  } }),
  setting({ key: "trustProxy", env: "TESSERA_TRUST_PROXY", fallback: "false", doc: "Behind a load balancer: `true`, a hop count, or the proxies' addresses/CIDRs (comma-separated), so client IPs come from `X-Forwarded-For`. Never `true` if clients can reach the port directly or the proxy appends to a client-sent `X-Forwarded-For` (clients would choose their address; the start warns): give the hop count or the proxies' addresses (docs/deploy.md).", parse: parseTrustProxy }),
  setting({ key: "shutdownTimeoutMs", env: "TESSERA_SHUTDOWN_TIMEOUT", fallback: "10", doc: "Seconds in-flight requests get to finish after SIGTERM before connections are cut.", parse: ms(int(1, 600)) }),
  setting({ key: "metricsToken", env: "TESSERA_METRICS_TOKEN", fallback: undefined, doc: "When set, `GET /metrics` requires `Authorization: Bearer <token>`; otherwise it is open (keep it off the public load balancer).", parse: (r) => {
    if (r.length < 16) throw new Error("must be at least 16 characters");
    return r;
  } }),
  setting({ key: "masterKey", env: "TESSERA_MASTER_KEY", fallback: undefined, doc: "32 random bytes, base64url: encrypts private keys at rest. Default: `master.key` in the data folder, created with mode 0600.", parse: (r) => {
    if (Buffer.from(r, "base64url").length !== 32) throw new Error("must be 32 bytes encoded as base64url (43 characters)");
    return r;
  } }),
  setting({ key: "signingAlg", env: "TESSERA_SIGNING_ALG", fallback: "ES256", doc: "Access-token signature: ES256, RS256 or EdDSA (see docs/keys.md).", parse: (r) => {
    if (r !== "ES256" && r !== "RS256" && r !== "EdDSA") throw new Error("must be ES256, RS256 or EdDSA");
    return r;
  } }),
  setting({ key: "accessTokenTtlSeconds", env: "TESSERA_ACCESS_TOKEN_TTL", fallback: "900", doc: "Access-token lifetime, seconds. Revocations and retired keys are kept for the longest lifetime ever configured, so lowering it is safe (docs/security.md).", parse: int(5, DAY) }),
  setting({ key: "sessionIdleTimeoutMs", env: "TESSERA_SESSION_IDLE_TIMEOUT", fallback: String(7 * DAY), doc: "A session ends after this many seconds without a refresh (or cookie use).", parse: ms(int(60, 365 * DAY)) }),
  setting({ key: "sessionAbsoluteLifetimeMs", env: "TESSERA_SESSION_ABSOLUTE_LIFETIME", fallback: String(30 * DAY), doc: "A session ends this many seconds after sign-in, whatever happens.", parse: ms(int(60, 5 * 365 * DAY)) }),
  setting({ key: "refreshGraceWindowMs", env: "TESSERA_REFRESH_GRACE_WINDOW", fallback: "10", doc: "Seconds during which the just-spent refresh token still returns the current one (see docs/refresh-rotation.md).", parse: ms(int(0, 300)) }),
  setting({ key: "jwksMaxAgeSeconds", env: "TESSERA_JWKS_MAX_AGE", fallback: "300", doc: "`Cache-Control: max-age` of the JWKS, seconds. New keys are published at least this long before they sign.", parse: int(0, DAY) }),
  setting({ key: "argon2MemoryKib", env: "TESSERA_ARGON2_MEMORY_KIB", fallback: "19456", doc: "argon2id memory cost, KiB (OWASP minimum 19456). Raising it re-hashes passwords at their next sign-in.", parse: int(19456, 4 * 1024 * 1024) }),
  setting({ key: "argon2Iterations", env: "TESSERA_ARGON2_ITERATIONS", fallback: "2", doc: "argon2id time cost (minimum 2).", parse: int(2, 100) }),
  setting({ key: "argon2Parallelism", env: "TESSERA_ARGON2_PARALLELISM", fallback: "1", doc: "argon2id lanes.", parse: int(1, 16) }),
  setting({ key: "hashConcurrency", env: "TESSERA_HASH_CONCURRENCY", fallback: undefined, doc: "Password hashes computed at once; the rest queue. Default: CPU cores − 1, at least 1, so hashing never takes every core from the event loop.", parse: int(1, 64) }),
  setting({ key: "hashQueueLimit", env: "TESSERA_HASH_QUEUE_LIMIT", fallback: undefined, doc: "Password hashes that may wait for a hashing slot; past it a sign-in, registration or password change answers `503 temporarily_unavailable` with `Retry-After` (docs/security.md). Default: 4 × the hash concurrency.", parse: int(1, 100_000) }),
  setting({ key: "hashNice", env: "TESSERA_HASH_NICE", fallback: "10", doc: "Linux only: how much lower the password-hashing threads' CPU priority is (nice increment, 0–19). When cores are busy, API requests go before sign-ins; when they are idle, hashing runs at full speed. 0 turns it off.", parse: int(0, 19) }),
  setting({ key: "defaultScopes", env: "TESSERA_DEFAULT_SCOPES", fallback: "openid profile email", doc: "Scopes granted when a request names none.", parse: list }),
  setting({ key: "supportedScopes", env: "TESSERA_SCOPES", fallback: "openid profile email offline_access", doc: "Every scope the server knows (space- or comma-separated).", parse: list }),
  setting({ key: "allowedOrigins", env: "TESSERA_ALLOWED_ORIGINS", fallback: "", doc: "Extra browser origins allowed for CORS and cookie-session CSRF checks (comma-separated).", parse: (r) => list(r).map(origin) }),
  setting({ key: "logLevel", env: "LOG_LEVEL", fallback: "info", doc: "fatal, error, warn, info, debug, trace or silent.", parse: (r) => {
    if (!["fatal", "error", "warn", "info", "debug", "trace", "silent"].includes(r)) throw new Error("must be fatal, error, warn, info, debug, trace or silent");
    return r;
  } }),
  setting({ key: "accessLogLevel", env: "TESSERA_ACCESS_LOG_LEVEL", fallback: "info", doc: "Level of the access line each request gets (written only if LOG_LEVEL lets that level through): fatal, error, warn, info, debug, trace, or off.", parse: (r) => {
    if (!["fatal", "error", "warn", "info", "debug", "trace", "off"].includes(r)) throw new Error("must be fatal, error, warn, info, debug, trace or off");
    return r;
  } }),
  setting({ key: "accessLogSampleRate", env: "TESSERA_ACCESS_LOG_SAMPLE_RATE", fallback: "1", doc: "Fraction (0 to 1) of successful requests (status below 400) that get an access line; 4xx and 5xx answers always do. 0.1 logs one success in ten.", parse: (r) => {
    const n = Number(r);
    if (r.trim() === "" || !Number.isFinite(n) || n < 0 || n > 1) throw new Error("must be a number from 0 to 1");
    return n;
  } }),
  setting({ key: "accessLogFlushMs", env: "TESSERA_ACCESS_LOG_FLUSH_MS", fallback: "100", doc: "Milliseconds an access line may wait to be written together with the next ones (they also go out once 16 KiB wait, and at a graceful stop); 0 writes each event-loop turn's lines at its end. A kill -9 loses at most this much.", parse: int(0, 10_000) }),
  setting({ key: "sweepIntervalMs", env: "TESSERA_SWEEP_INTERVAL", fallback: "3600", doc: "Seconds between sweeps of ended sessions; 0 disables.", parse: ms(int(0, DAY)) }),
  setting({ key: "bffUpstream", env: "TESSERA_BFF_UPSTREAM", fallback: "", doc: "Combined mode (docs/tokens-vs-cookies.md): `/bff/*` forwards cookie-session requests to this API origin with a Bearer token the browser never sees. Empty: off.", parse: (r) => (r === "" ? "" : origin(r)) }),
  setting({ key: "demoPage", env: "TESSERA_DEMO_PAGE", fallback: "true", doc: "Serve the demo page at `/` (true/false).", parse: (r) => {
    if (r !== "true" && r !== "false") throw new Error("must be true or false");
    return r === "true";
  } }),
  setting({ key: "throttleSignInAccount", env: "TESSERA_THROTTLE_SIGNIN_ACCOUNT", fallback: "5", doc: "Failed sign-ins per account and IP before exponential backoff (docs/security.md); 0 disables.", parse: int(0, 1_000_000) }),
  setting({ key: "throttleSignInIp", env: "TESSERA_THROTTLE_SIGNIN_IP", fallback: "100", doc: "Failed sign-ins per IP (any account) before backoff; 0 disables.", parse: int(0, 1_000_000) }),
  setting({ key: "throttleRegisterIp", env: "TESSERA_THROTTLE_REGISTER_IP", fallback: "20", doc: "Registrations per IP before backoff; 0 disables.", parse: int(0, 1_000_000) }),
  setting({ key: "throttleTokenIp", env: "TESSERA_THROTTLE_TOKEN_IP", fallback: "100", doc: "Refused refresh or reset tokens per IP before backoff; 0 disables.", parse: int(0, 1_000_000) }),
  setting({ key: "throttleSecondFactorAccount", env: "TESSERA_THROTTLE_SECOND_FACTOR_ACCOUNT", fallback: "5", doc: "Failed second-factor attempts (TOTP, passkey, recovery code) per account before backoff; 0 disables.", parse: int(0, 1_000_000) }),
  setting({ key: "throttleEmailCodeAccount", env: "TESSERA_THROTTLE_EMAIL_CODE_ACCOUNT", fallback: "5", doc: "Failed email sign-in codes per account before backoff; 0 disables.", parse: int(0, 1_000_000) }),
  setting({ key: "throttleEmailSendAddress", env: "TESSERA_THROTTLE_EMAIL_SEND_ADDRESS", fallback: "3", doc: "Emails sent to one address before backoff (every send counts); 0 disables.", parse: int(0, 1_000_000) }),
  setting({ key: "throttleEmailSendIp", env: "TESSERA_THROTTLE_EMAIL_SEND_IP", fallback: "20", doc: "Emails requested from one IP before backoff (every send counts); 0 disables.", parse: int(0, 1_000_000) }),
  setting({ key: "throttleWindowSeconds", env: "TESSERA_THROTTLE_WINDOW", fallback: "3600", doc: "Seconds the throttles remember attempts (from the first one).", parse: int(1, 7 * DAY) }),
  setting({ key: "throttleBaseDelaySeconds", env: "TESSERA_THROTTLE_BASE_DELAY", fallback: "1", doc: "Seconds of the first backoff; each further attempt doubles it.", parse: int(1, DAY) }),
  setting({ key: "throttleMaxDelaySeconds", env: "TESSERA_THROTTLE_MAX_DELAY", fallback: "900", doc: "Seconds a backoff lasts at most.", parse: int(1, DAY) }),
  setting({ key: "keyRotationDays", env: "TESSERA_KEY_ROTATION_DAYS", fallback: "90", doc: "Days a signing key signs before the server rotates it (checked every minute); 0: only by hand.", parse: int(0, 3650) }),
  setting({ key: "passwordResetTtlMs", env: "TESSERA_PASSWORD_RESET_TTL", fallback: String(DAY), doc: "Seconds an admin-issued password-reset token stays valid.", parse: ms(int(60, 30 * DAY)) }),
  setting({ key: "auditRetentionDays", env: "TESSERA_AUDIT_RETENTION_DAYS", fallback: "365", doc: "Days audit events are kept (deleted by the sweeper); 0: forever.", parse: int(0, 36500) }),
  setting({ key: "mfaTokenAttempts", env: "TESSERA_MFA_TOKEN_ATTEMPTS", fallback: "5", doc: "Second-factor codes one `mfa_token` may try (docs/mfa.md); each attempt is reserved before the code is checked.", parse: int(1, 20) }),
  setting({ key: "mfaRequiredRoles", env: "TESSERA_MFA_REQUIRED_ROLES", fallback: "", doc: "Roles (comma-separated, e.g. `admin`) whose holders must have a second factor: a holder without one is asked to enrol at the next sign-in (403 `mfa_enrollment_required`, docs/mfa.md) and gets no session before. Empty: nobody.", parse: (r) => {
    const roles = list(r);
    for (const role of roles) if (!ROLE_NAME.test(role)) throw new Error(`"${role}" is not a valid role name (a-z, 0-9, _ : -)`);
    return [...new Set(roles)];
  } }),
  setting({ key: "stepUpMaxAgeSeconds", env: "TESSERA_STEP_UP_MAX_AGE_SECONDS", fallback: "900", doc: "How recent a sign-in (seconds) removing a factor or making new recovery codes requires; older sign-ins get 401 `insufficient_user_authentication` with `max_age` (RFC 9470). 0 turns the check off.", parse: int(0, 30 * DAY) }),
  setting({ key: "webauthnRpId", env: "TESSERA_WEBAUTHN_RP_ID", fallback: "", doc: "Passkeys' relying-party id (a domain: the issuer's host or a parent of it). Empty: the issuer's host name; passkeys are off when that is an IP address (WebAuthn needs a domain).", parse: (r) => {
    if (r !== "" && (!/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/.test(r) || /^[\d.]+$/.test(r))) throw new Error("must be a lower-case domain name, not an IP address");
    return r;
  } }),
  setting({ key: "webauthnOrigins", env: "TESSERA_WEBAUTHN_ORIGINS", fallback: "", doc: "Origins whose pages may use passkeys (comma-separated); each must be on the RP ID or a subdomain of it. Empty: the issuer's origin.", parse: (r) => list(r).map(origin) }),
  setting({ key: "requestTimeoutMs", env: "TESSERA_REQUEST_TIMEOUT", fallback: "30", doc: "Seconds a client has to send a whole request (slow-loris defence).", parse: ms(int(1, 3600)) }),
  setting({ key: "feedMaxPolls", env: "TESSERA_FEED_MAX_POLLS", fallback: "10000", doc: "Revocation-feed long polls (`GET /oauth/revocations?wait=…`) one instance holds at once; one more is `503 temporarily_unavailable` with `Retry-After`.", parse: int(1, 1_000_000) }),
  setting({ key: "feedMaxPollsPerIp", env: "TESSERA_FEED_MAX_POLLS_PER_IP", fallback: "100", doc: "Revocation-feed long polls one client address may hold at once on one instance (each verifier holds one); one more is `429 too_many_requests` with `Retry-After`. At most `TESSERA_FEED_MAX_POLLS`.", parse: int(1, 1_000_000) }),
  setting({ key: "adminUsername", env: "TESSERA_ADMIN_USERNAME", fallback: "", doc: "With `TESSERA_ADMIN_PASSWORD`: the first admin, created at start if no user has this name.", parse: (r) => r }),
  setting({ key: "adminPassword", env: "TESSERA_ADMIN_PASSWORD", fallback: undefined, doc: "The first admin's password (never logged; used only to create that user).", parse: (r) => r }),
  ...emailSettings(),
] as const;

function emailSettings() {
  return [
    setting({ key: "smtpUrl", env: "TESSERA_SMTP_URL", fallback: "", doc: "`smtp://user:pass@host:port` (STARTTLS when the server offers it; add `?starttls=required` to insist) or `smtps://…` (TLS from the start). Empty: messages are written as .eml files in the data folder (docs/email.md).", parse: parseSmtpUrl }),
    setting({ key: "mailFrom", env: "TESSERA_MAIL_FROM", fallback: "", doc: "From address of every message (`addr@example.com` or `Name <addr@example.com>`). Required with TESSERA_SMTP_URL; default without it: `Tessera <no-reply@HOST>`, HOST the issuer's host, plus `.localdomain` when it has no dot (`localhost`: `no-reply@localhost.localdomain`), and `localhost.localdomain` for an IP issuer (docs/email.md).", parse: parseMailFrom }),
    setting({ key: "mailTemplatesDir", env: "TESSERA_MAIL_TEMPLATES", fallback: "", doc: "Folder of message templates overriding the built-in ones (`<kind>.subject.txt`, `<kind>.txt`, `<kind>.html`; docs/email.md).", parse: (r) => (r === "" ? "" : resolve(r)) }),
    setting({ key: "smtpTimeoutSeconds", env: "TESSERA_SMTP_TIMEOUT_SECONDS", fallback: "10", doc: "Seconds to connect, greet and answer each SMTP command before an attempt fails.", parse: int(1, 600) }),
    setting({ key: "mailMaxAttempts", env: "TESSERA_MAIL_MAX_ATTEMPTS", fallback: "8", doc: "Delivery attempts of a message before it is recorded as failed.", parse: int(1, 100) }),
    setting({ key: "mailRetryBaseSeconds", env: "TESSERA_MAIL_RETRY_BASE_SECONDS", fallback: "30", doc: "Seconds before the first retry of a message; each further retry doubles it (at most one hour).", parse: int(1, 3600) }),
    setting({ key: "mailPollIntervalMs", env: "TESSERA_MAIL_POLL_INTERVAL_MS", fallback: "2000", doc: "ms between looks at the outbox for due messages (a new message is sent at once besides).", parse: int(50, 600_000) }),
    setting({ key: "mailRetentionDays", env: "TESSERA_MAIL_RETENTION_DAYS", fallback: "7", doc: "Days delivered and failed messages stay in the outbox before the sweeper deletes them.", parse: int(1, 3650) }),
    setting({ key: "emailVerifyTtlSeconds", env: "TESSERA_EMAIL_VERIFY_TTL_SECONDS", fallback: String(DAY), doc: "Seconds a verification link stays valid.", parse: int(60, 30 * DAY) }),
    setting({ key: "emailResetTtlSeconds", env: "TESSERA_EMAIL_RESET_TTL_SECONDS", fallback: "3600", doc: "Seconds a password-reset link sent by email stays valid.", parse: int(60, DAY) }),
    setting({ key: "emailCodeTtlSeconds", env: "TESSERA_EMAIL_CODE_TTL_SECONDS", fallback: "600", doc: "Seconds a 6-digit sign-in code stays valid.", parse: int(30, 3600) }),
    setting({ key: "emailCodeMaxAttempts", env: "TESSERA_EMAIL_CODE_MAX_ATTEMPTS", fallback: "5", doc: "Wrong guesses a sign-in code survives; the next one kills it.", parse: int(1, 20) }),
    setting({ key: "requireVerifiedEmail", env: "TESSERA_REQUIRE_VERIFIED_EMAIL", fallback: "false", doc: "Refuse sign-in (`email_not_verified`) to users without a verified address (true/false).", parse: bool }),
  ];
}

function bool(r: string): boolean {
  if (r !== "true" && r !== "false") throw new Error("must be true or false");
  return r === "true";
}

function parseSmtpUrl(r: string): string {
  if (r === "") return "";
  let url: URL;
  try {
    url = new URL(r);
  } catch {
    throw new Error("must be an smtp:// or smtps:// URL");
  }
  if (url.protocol !== "smtp:" && url.protocol !== "smtps:") throw new Error("must be an smtp:// or smtps:// URL");
  if (!url.hostname) throw new Error("must name a host");
  const starttls = url.searchParams.get("starttls");
  if (starttls !== null && starttls !== "required") throw new Error("starttls may only be `required`");
  return r;
}

const FROM = /^(?:[^<>\r\n"]{0,100} ?<([^\s<>@]{1,64}@[^\s<>@]{1,255})>|([^\s<>@]{1,64}@[^\s<>@]{1,255}))$/;

function parseMailFrom(r: string): string {
  if (r === "") return "";
  if (/[\r\n]/.test(r) || r.includes("\u0000") || !FROM.test(r.trim())) throw new Error("must be an address, or `Name <address>`");
  return r.trim();
}

const SECRET_SETTINGS: ReadonlySet<keyof Config> = new Set(["masterKey", "adminPassword", "metricsToken"]);

/** A bad value as the error may show it: secrets hidden, passwords inside URLs masked. */
function shown(key: keyof Config, raw: string): string {
  if (SECRET_SETTINGS.has(key)) return "<hidden>";
  return raw.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:)[^@/]*@/i, "$1<hidden>@");
}

/**
 * Reads the configuration from an environment (process.env by default) and
 * explicit overrides; throws a ConfigError listing every bad setting.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env, overrides: Partial<Config> = {}): Config {
  const problems: string[] = [];
  const config: Partial<Config> = {};
  for (const s of settings) {
    if (s.key in overrides) {
      (config as Record<string, unknown>)[s.key] = overrides[s.key];
      continue;
    }
    const raw = env[s.env] ?? s.fallback;
    if (raw === undefined) continue;
    try {
      (config as Record<string, unknown>)[s.key] = s.parse(raw, config);
    } catch (error) {
      problems.push(`${s.env}=${JSON.stringify(shown(s.key, raw))}: ${(error as Error).message}`);
    }
  }
  if (problems.length === 0) {
    // The issuer follows the port: with PORT=0 it is completed after listen (src/server/start.ts).
    if (config.issuer === undefined) config.issuer = `http://localhost:${config.port}`;
    if (config.audience === undefined) config.audience = config.issuer;
    if ((config.sessionAbsoluteLifetimeMs ?? 0) < (config.accessTokenTtlSeconds ?? 0) * 1000) {
      problems.push("TESSERA_SESSION_ABSOLUTE_LIFETIME must be at least TESSERA_ACCESS_TOKEN_TTL");
    }
    if ((config.throttleBaseDelaySeconds ?? 0) > (config.throttleMaxDelaySeconds ?? 0)) {
      problems.push("TESSERA_THROTTLE_BASE_DELAY must be at most TESSERA_THROTTLE_MAX_DELAY");
    }
    if ((config.feedMaxPollsPerIp ?? 0) > (config.feedMaxPolls ?? 0)) problems.push("TESSERA_FEED_MAX_POLLS_PER_IP must be at most TESSERA_FEED_MAX_POLLS");
    const rpId = config.webauthnRpId || (config.issuer ? new URL(config.issuer).hostname : "");
    for (const o of config.webauthnOrigins ?? []) {
      const host = new URL(o).hostname;
      if (host !== rpId && !host.endsWith(`.${rpId}`)) problems.push(`TESSERA_WEBAUTHN_ORIGINS: ${o} is not on the RP ID ${rpId} or a subdomain of it`);
    }
    const unknown = (config.defaultScopes ?? []).filter((s) => !(config.supportedScopes ?? []).includes(s));
    if (unknown.length > 0) problems.push(`TESSERA_DEFAULT_SCOPES names scopes missing from TESSERA_SCOPES: ${unknown.join(" ")}`);
    if (config.smtpUrl && !config.mailFrom) problems.push("TESSERA_MAIL_FROM is required with TESSERA_SMTP_URL");
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config as Config;
}
