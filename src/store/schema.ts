/**
 * The tables, as Kysely sees them. One shape for every dialect: times are integer
 * epoch milliseconds, lists are JSON text, flags are nullable timestamps or 0/1
 * integers, ids are text. That keeps SQLite and PostgreSQL rows identical.
 */
import type { Generated } from "kysely";

export interface UsersTable {
  id: string;
  username: string;
  /** NFKC-normalised, trimmed, fully case-folded: the unique sign-in key. */
  username_key: string;
  /**
   * UTS #39 confusable skeleton of the name, unique, so a look-alike is taken; NULL
   * only for an account that collided with an older one when the column was added.
   */
  username_skeleton?: string | null;
  email: string | null;
  /** The normalised address (docs/email.md), set only while `email` is verified: unique. */
  email_verified_key?: string | null;
  email_verified_at?: number | null;
  /** PHC string from argon2id; never the password. */
  password_hash: string;
  /** JSON array of role names. */
  roles: string;
  disabled_at: number | null;
  password_changed_at: number;
  created_at: number;
  updated_at: number;
}

export interface ClientsTable {
  id: string;
  name: string;
  /** SHA-256 (base64url) of the client secret; null for public clients. */
  secret_hash: string | null;
  type: "public" | "confidential";
  first_party: number;
  /** JSON array of grant types this client may use. */
  grant_types: string;
  /** JSON array of scopes this client may request. */
  scopes: string;
  /** Access-token lifetime override in seconds, or null for the server default. */
  access_token_ttl: number | null;
  created_at: number;
  /** Disabled: authentication refused, its tokens refused by Tessera (null when enabled). */
  disabled_at: number | null;
}

export interface SigningKeysTable {
  kid: string;
  alg: string;
  public_jwk: string;
  /** AES-256-GCM envelope of the private JWK ("v1.iv.ciphertext.tag"), AAD = kid. */
  private_enc: string;
  created_at: number;
  /** The key signs from this time on; published in JWKS from creation. */
  activates_at: number;
  /** Stopped signing at this time (a newer key took over). */
  retires_at: number | null;
  /** Removed from JWKS after this time: every token it signed has expired. */
  expires_at: number | null;
  /** Compromised: refused at once. */
  revoked_at: number | null;
}

export interface SessionsTable {
  id: string;
  user_id: string;
  client_id: string;
  kind: "token" | "cookie";
  scope: string;
  /** SHA-256 of the cookie session secret (cookie sessions only). */
  cookie_hash: string | null;
  created_at: number;
  last_used_at: number;
  /** Absolute end of life. */
  expires_at: number;
  /** How many times the refresh token rotated. */
  refresh_generation: number;
  /** SHA-256 (base64url) of the current refresh token (token sessions only); the token itself is never stored. */
  refresh_hash: string | null;
  rotated_at: number | null;
  revoked_at: number | null;
  revoked_reason: string | null;
  user_agent: string | null;
  ip: string | null;
  /** JSON array of RFC 8176 method names (how the user signed in); absent on sessions older than factors. */
  amr?: string | null;
  /** Epoch ms of the sign-in's last authentication step (RFC 9470 `auth_time`, in ms here). */
  auth_time?: number | null;
  /** The API (RFC 8707 resource) the session's tokens are for, or null for Tessera's own audience. */
  resource: string | null;
}

/** An API registered as a resource: its identifier is the audience of the tokens issued for it. */
export interface ApiResourcesTable {
  /** An absolute URI (RFC 8707 §2), the `aud` of its tokens. */
  identifier: string;
  name: string;
  /** JSON array of the scopes the API defines. */
  scopes: string;
  /** JSON object: scope -> roles whose holders may be granted it. */
  grants: string;
  created_at: number;
  updated_at: number;
}

export interface RevocationsTable {
  seq: Generated<number>;
  session_id: string;
  /** Epoch seconds: the latest expiry of any access token of that session. */
  exp: number;
  created_at: number;
}

export interface AuditEventsTable {
  /** Sequence number: the paging cursor (newest first). */
  id: Generated<number>;
  /** Epoch ms. */
  at: number;
  /** What happened: sign_in, refresh, logout, admin_action, … (docs/security.md). */
  type: string;
  /** success, failure, or a finer word for the type (suspected_theft, …). */
  outcome: string;
  user_id: string | null;
  session_id: string | null;
  client_id: string | null;
  /** Who acted, when not the user (an admin's id, `cli`, `schedule`). */
  actor: string | null;
  ip: string | null;
  user_agent: string | null;
  /** JSON object of non-secret facts (a reason, an admin action's target). Never a token or password. */
  detail: string | null;
}

export interface PasswordResetsTable {
  /** SHA-256 (base64url) of the one-time reset token; the token itself is never stored. */
  token_hash: string;
  user_id: string;
  created_at: number;
  expires_at: number;
  /** The admin (or `cli`) who forced the reset; `self` for a reset asked for by email. */
  created_by: string | null;
  /** A reset sent by email: the verified address it was sent to (it must still be the user's). */
  email_key?: string | null;
}

export interface EmailTokensTable {
  /** Random id (codes) or the secret's hash (link tokens). */
  id: string;
  /** verify, change, otp. */
  purpose: string;
  user_id: string;
  /** The address the secret was sent to, as given, and its normalised key. */
  email: string;
  email_key: string;
  /** SHA-256 of a link token, or HMAC of a code; never the secret. */
  secret_hash: string;
  /** Checks made against this secret (reserved before each check). */
  attempts: number;
  created_at: number;
  expires_at: number;
}

export interface OutboxTable {
  /** Also the message's Message-ID: the same on every delivery attempt. */
  id: string;
  kind: string;
  recipient: string;
  user_id: string | null;
  /** Sealed JSON of the template's values (it may hold a token or a code). */
  payload: string;
  /** pending, sent, failed. */
  status: string;
  attempts: number;
  next_attempt_at: number;
  /** The instance delivering it now, and until when its claim holds. */
  claimed_by: string | null;
  lease_until: number | null;
  /** The last delivery error, without secrets. */
  last_error: string | null;
  created_at: number;
  sent_at: number | null;
  failed_at: number | null;
}

/** Values that only rise (the longest access-token lifetime ever configured, …). */
export interface HighWaterMarksTable {
  name: string;
  value: number;
}

/** An enrolled second factor (docs/mfa.md): a TOTP authenticator or a passkey. */
export interface FactorsTable {
  id: string;
  user_id: string;
  type: "totp" | "passkey";
  name: string;
  /** TOTP: AES-256-GCM envelope of the base32 secret, AAD = factor id. */
  secret_enc: string | null;
  /** TOTP: the last 30-second step a code was accepted for (a code is accepted once). */
  last_step: number | null;
  /** Passkey: credential id, base64url. */
  credential_id: string | null;
  /** Passkey: COSE public key, base64url. */
  public_key: string | null;
  counter: number | null;
  /** Passkey: JSON array of transports the browser reported. */
  transports: string | null;
  /** Passkey: "singleDevice" or "multiDevice". */
  device_type: string | null;
  /** Passkey: 1 when the credential is backed up (synced), 0 when not. */
  backed_up: number | null;
  /** Null while a TOTP enrolment waits for its first code. */
  confirmed_at: number | null;
  created_at: number;
  last_used_at: number | null;
}

export interface RecoveryCodesTable {
  /** SHA-256 (base64url) of the normalised code; the code itself is never stored. */
  code_hash: string;
  user_id: string;
  created_at: number;
  used_at: number | null;
}

/** A sign-in waiting for its second step. */
export type MfaTokenPurpose = "second_step" | "enroll";

export interface MfaTokensTable {
  /** SHA-256 (base64url) of the mfa_token. */
  token_hash: string;
  user_id: string;
  client_id: string;
  scope: string;
  /** The API (RFC 8707 resource) the first step asked for, or null: the session gets it after the second step. */
  resource: string | null;
  /** JSON array: the first step's methods (e.g. ["pwd"]). */
  amr: string;
  /** Epoch ms of the first step. */
  auth_time: number;
  /** Second-step attempts reserved so far (taken before each check). */
  attempts: number;
  /** `second_step`: the user proves a factor they have; `enroll`: a required factor is enrolled with this token (docs/mfa.md). */
  purpose: MfaTokenPurpose;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

export interface WebauthnChallengesTable {
  id: string;
  /** base64url challenge sent to the browser (not a secret once sent; single use). */
  challenge: string;
  /** "register", "login" (passwordless) or "mfa" (second step). */
  purpose: string;
  user_id: string | null;
  created_at: number;
  expires_at: number;
}

export interface Database {
  users: UsersTable;
  clients: ClientsTable;
  signing_keys: SigningKeysTable;
  sessions: SessionsTable;
  revocations: RevocationsTable;
  audit_events: AuditEventsTable;
  password_resets: PasswordResetsTable;
  email_tokens: EmailTokensTable;
  outbox: OutboxTable;
  high_water_marks: HighWaterMarksTable;
  factors: FactorsTable;
  recovery_codes: RecoveryCodesTable;
  mfa_tokens: MfaTokensTable;
  webauthn_challenges: WebauthnChallengesTable;
  api_resources: ApiResourcesTable;
}
