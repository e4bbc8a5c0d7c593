// createClient: picks the mode, wires storage, tabs and events, and builds the
// account API (profile, sessions, password) on top of the mode's fetch.
import { json, type Context } from "./context.js";
import { cookieMode, csrfCookie } from "./cookie-mode.js";
import { createCore } from "./core.js";
import { jsonOrThrow, mfaTokens, TesseraError } from "./errors.js";
import { resolveStorage } from "./storage.js";
import { tokenMode } from "./token-mode.js";
import type {
  AuthChangeEvent, ClientOptions, Factors, Passkey, Registration, SecondFactor, Session, SessionInfo, TokenRequest, TotpEnrolment, User,
} from "./types.js";
import { browserWebAuthn } from "./webauthn.js";

/**
 * A Tessera client, as returned by `createClient` (`tessera/client`).
 *
 * @example
 * ```ts
 * import { createClient, type TesseraClient } from "tessera/client";
 * const auth: TesseraClient = createClient({ baseUrl: location.origin });
 * const user = await auth.getUser();
 * ```
 */
export interface TesseraClient {
  /** Creates an account (`POST /auth/register`). It does not sign in. */
  signUp(account: { username: string; password: string; email?: string }): Promise<Registration>;
  /**
   * Signs in with a password; reports `SIGNED_IN` here and in every tab.
   * Token mode: `request` names the scopes and the API (RFC 8707 `resource`)
   * to ask tokens for, instead of `ClientOptions.scope` and `resource`; the
   * session's `scope` and `claims.aud` say what was granted.
   *
   * A user with a second factor gets a `TesseraError` `mfa_required` whose
   * `methods` say what `completeSignIn` can finish with (the client keeps
   * the server's `mfa_token` for it: five minutes, a few attempts).
   *
   * @example
   * ```ts
   * try {
   *   await auth.signIn(username, password);
   * } catch (e) {
   *   if (!(e instanceof TesseraError && e.code === "mfa_required")) throw e;
   *   await auth.completeSignIn(e.methods?.includes("totp") ? { otp: await ask("6-digit code") } : { passkey: true });
   * }
   * ```
   */
  signIn(username: string, password: string, request?: TokenRequest): Promise<Session>;
  /**
   * The second step of a sign-in that answered `mfa_required` (`signIn` or
   * `signInWithCode`): a code from the authenticator app, a recovery code, or
   * a passkey (the client asks the server for the options and runs the
   * WebAuthn ceremony). A wrong code rejects `invalid_grant` and may be
   * tried again; without a pending sign-in it rejects `no_pending_sign_in`.
   * Reports `SIGNED_IN` with reason `mfa`.
   */
  completeSignIn(proof: SecondFactor): Promise<Session>;
  /**
   * Signs in with a passkey alone (a discoverable credential with user
   * verification). With `mediation: "conditional"` the browser offers the
   * passkeys in the autofill of a field marked `autocomplete="username webauthn"`
   * and the promise resolves when the user picks one; abort it with `signal`
   * before starting another ceremony. Reports `SIGNED_IN` with reason `passkey`.
   */
  signInWithPasskey(options?: { mediation?: CredentialMediationRequirement; signal?: AbortSignal }): Promise<Session>;
  /**
   * A sign-in that answered `mfa_enrollment_required` (a role of the user
   * requires a second factor and they have none; `methods` says which can be
   * enrolled) finishes by enrolling one, with the pending `mfa_token`:
   * `enrolTotpToSignIn` starts an authenticator app (show `otpauth_uri` as a
   * QR code), then `finishEnrolment({ otp })` takes its first code; or
   * `finishEnrolment({ passkey: true })` creates a passkey on this device.
   */
  enrolTotpToSignIn(name?: string): Promise<TotpEnrolment>;
  /**
   * Finishes the sign-in with the factor just enrolled (see `enrolTotpToSignIn`);
   * reports `SIGNED_IN` with reason `mfa`. Resolves with the ten recovery codes
   * as well: show them once, they are kept nowhere.
   */
  finishEnrolment(proof: { otp: string } | { passkey: true }): Promise<{ session: Session; recoveryCodes: string[] }>;
  /** The user's second factors and the number of unused recovery codes (`GET /auth/factors`). */
  getFactors(): Promise<Factors>;
  /** Starts enrolling an authenticator app: show `otpauth_uri` as a QR code, then `confirmTotp` with a code from the app. */
  enrolTotp(name?: string): Promise<TotpEnrolment>;
  /** Confirms a pending authenticator app; the first factor answers ten recovery codes, to show once. */
  confirmTotp(factorId: string, code: string): Promise<{ recovery_codes?: string[] }>;
  /** Creates a passkey on this device (WebAuthn) and registers it under `name`; the first factor carries recovery codes. */
  addPasskey(name?: string): Promise<Passkey>;
  /** Removes a factor (the last one takes the recovery codes with it). Needs a recent sign-in: see `onStepUp`. */
  removeFactor(id: string): Promise<void>;
  /** A new set of ten recovery codes; the old ones stop working. Needs a recent sign-in: see `onStepUp`. */
  newRecoveryCodes(): Promise<string[]>;
  /**
   * Signs out here and in every tab, and ends the session on the server. The
   * local sign-out always happens; the promise rejects if the server could not
   * be told.
   */
  signOut(): Promise<void>;
  /** Ends every session of the user (`POST /auth/logout-all`), then signs out here. */
  signOutEverywhere(): Promise<void>;
  /** The signed-in user (`GET /userinfo`). */
  getUser(): Promise<User>;
  /** The user's live sessions (`GET /auth/sessions`). */
  getSessions(): Promise<SessionInfo[]>;
  /** Ends one session; ending the current one signs this client out. */
  endSession(id: string): Promise<void>;
  /** Changes the password; the server ends every other session of the user. */
  changePassword(currentPassword: string, newPassword: string): Promise<void>;
  /** Signs in with the 6-digit code `sendSignInCode` mailed (a second factor may still be asked for). */
  signInWithCode(email: string, code: string): Promise<Session>;
  /** Mails a sign-in code to a verified address; resolves the same whether or not one exists. */
  sendSignInCode(email: string): Promise<void>;
  /** Mails a reset link to the account's verified address; resolves the same whether or not the account exists. */
  requestPasswordReset(who: { email: string } | { username: string }): Promise<void>;
  /** Sets a new password with the token (or typed code) of a reset message; every session ends. */
  resetPassword(token: string, newPassword: string): Promise<void>;
  /** Verifies an address with the token (or typed code) of its message. */
  verifyEmail(token: string): Promise<void>;
  /** Sends the signed-in user's verification message again. */
  resendVerification(): Promise<void>;
  /** Asks to change the address: it changes once the new one is verified. */
  changeEmail(email: string, password: string): Promise<void>;
  /**
   * `fetch` with the user's credentials: the Bearer token (renewed before it
   * expires, and once after a 401 `invalid_token`, then retried once) or, in
   * cookie mode, the cookie and CSRF header. Paths resolve against `baseUrl`.
   * Credentials go only to `baseUrl`'s origin and `apiOrigins`; a request to
   * any other origin is sent as given, without them, and its answer (a 401
   * included) is returned as is, never refreshing or ending the session.
   * Rejects with `not_signed_in` or `session_expired` when no credentials can
   * be had; any other answer, a second 401 included, is returned as is.
   */
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
  /**
   * Renews the tokens now (shared with concurrent callers and other tabs).
   * With `{ scope }`, the new access token carries only those scopes (a
   * refresh narrows, never widens; the session keeps its API).
   */
  refresh(request?: TokenRequest): Promise<Session>;
  /** A valid access token for other transports (WebSocket, EventSource); `null` in cookie mode. */
  getAccessToken(): Promise<string | null>;
  /**
   * The current session, or `null`. Asynchronous: it resolves once the
   * stored session (if any) has been loaded, because storage may be async
   * (mobile secure storage, a file). `mode` tells a token session from a
   * cookie session.
   *
   * @example
   * ```ts
   * const session = await auth.getSession(); // a Promise: await it
   * if (session?.mode === "token") console.log(session.scope, session.claims?.aud);
   * ```
   */
  getSession(): Promise<Session | null>;
  /** Subscribes to sign-in, refresh, sign-out and expiry; returns the unsubscribe function. */
  onAuthChange(listener: (event: AuthChangeEvent) => void): () => void;
  /** Stops listening to other tabs (the session stays in storage). */
  close(): void;
}

/** `https://api.example.com` as given (a trailing slash allowed); anything with a path, query or credentials is a mistake. */
function originOf(value: string): string {
  const { origin } = new URL(value);
  if (origin === "null" || value.replace(/\/$/, "") !== origin) throw new TypeError(`apiOrigins: ${value} is not an origin such as https://api.example.com`);
  return origin;
}

/**
 * Creates a client for one Tessera server.
 *
 * @example
 * ```ts
 * import { createClient } from "tessera/client";
 *
 * const auth = createClient({ baseUrl: "https://auth.example.com", apiOrigins: ["https://api.example.com"], storage: "localStorage" });
 * auth.onAuthChange((e) => console.log(e.type, e.reason));
 * await auth.signIn("ada", "correct horse battery staple");
 * const res = await auth.fetch("https://api.example.com/orders"); // Bearer attached (an API origin), refreshed as needed
 * ```
 */
export function createClient(options: ClientOptions): TesseraClient {
  const base = options.baseUrl.replace(/\/+$/, "");
  const clientId = options.clientId ?? "tessera-web";
  const key = options.storageKey ?? `tessera:${base}:${clientId}`;
  const cookies = options.mode === "cookie";
  const origins = new Set([new URL(base, globalThis.location?.href).origin, ...(options.apiOrigins ?? []).map(originOf)]);
  // Cookie mode needs no store of its own: the browser keeps the session, and
  // a page that finds the readable CSRF cookie (a reload, a new tab) has one.
  const restore = () => {
    const csrfToken = cookies && csrfCookie();
    return csrfToken ? { mode: "cookie" as const, csrfToken } : null;
  };
  const core = createCore(resolveStorage(options.storage), key, options.crossTab !== false, restore);
  const ctx: Context = {
    core,
    clientId,
    // Bound late, so that a polyfill or test double installed later is used.
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    url: (input) =>
      typeof input === "string" && !/^[a-z][\w+.-]*:/i.test(input) ? base + (input[0] === "/" ? "" : "/") + input : input,
    leeway: (options.refreshLeeway ?? 30) * 1000,
    ours: (request) => origins.has(new URL(request.url).origin),
    ask: { scope: options.scope, resource: options.resource },
    onStepUp: options.onStepUp,
  };
  const webauthn = options.webauthn ?? browserWebAuthn;
  const mode = cookies ? cookieMode(ctx) : tokenMode(ctx);
  const call = async <T>(path: string, init?: RequestInit) => jsonOrThrow<T>(await mode.fetch(path, init));
  // The routes that need no sign-in (JSON; the email ones answer 202 or 204 with no body).
  const open = async <T>(path: string, body: object) => jsonOrThrow<T>(await ctx.fetch(ctx.url(path), json("POST", body)));
  const end = (reason: string) => core.set(null, { type: "SIGNED_OUT", reason });
  // The mfa_token of a first step that answered mfa_required, for completeSignIn.
  let pending: string | undefined;
  const firstStep = <A extends unknown[]>(step: (...args: A) => Promise<Session>) => async (...args: A) => {
    pending = undefined;
    try {
      return await step(...args);
    } catch (error) {
      pending = error instanceof TesseraError ? mfaTokens.get(error) : undefined;
      throw error;
    }
  };
  /** Asks the server for request options (no credentials needed) and runs the WebAuthn ceremony on them. */
  const assertion = async (path: string, body: object, mediation?: CredentialMediationRequirement, signal?: AbortSignal) => {
    const { challenge_id, options: request } = await open<{ challenge_id: string; options: Record<string, unknown> }>(path, body);
    return { challenge_id, webauthn: await webauthn.get(request, mediation, signal) };
  };
  const pendingToken = () => {
    if (!pending) throw new TesseraError("no_pending_sign_in", "no sign-in is waiting for a second step: sign in first");
    return pending;
  };
  // Cookie sessions belong to tessera-web, which is what no client_id means.
  const withClient = (body: Record<string, unknown>) => (cookies ? body : { ...body, client_id: clientId });
  const finishWith = async (token: string, fields: Record<string, unknown>) => {
    const done = await mode.finish("mfa", fields);
    if (pending === token) pending = undefined;
    return done;
  };
  // The current session's id: the access token's `sid`, or (cookie mode, no
  // token) what the last session list marked `current`.
  let listedCurrent: string | undefined;

  return {
    signIn: firstStep(mode.signIn),
    async completeSignIn(proof) {
      const token = pendingToken();
      const fields: Record<string, unknown> = { mfa_token: token };
      if ("otp" in proof) fields.otp = proof.otp;
      else if ("recoveryCode" in proof) fields.recovery_code = proof.recoveryCode;
      else fields.webauthn = (await assertion("/auth/passkeys/mfa-options", withClient({ mfa_token: token }))).webauthn;
      return (await finishWith(token, fields)).session;
    },
    enrolTotpToSignIn: async (name) => open<TotpEnrolment>("/auth/mfa-enrollment/totp", withClient({ mfa_token: pendingToken(), ...(name === undefined ? {} : { name }) })),
    async finishEnrolment(proof) {
      const token = pendingToken();
      const fields: Record<string, unknown> = { mfa_token: token };
      if ("otp" in proof) fields.otp = proof.otp;
      else fields.webauthn = await webauthn.create(await open("/auth/mfa-enrollment/passkey/options", withClient({ mfa_token: token })));
      const { session, recoveryCodes = [] } = await finishWith(token, fields);
      return { session, recoveryCodes };
    },
    async signInWithPasskey({ mediation, signal } = {}) {
      return (await mode.finish("passkey", await assertion("/auth/passkeys/login-options", {}, mediation, signal))).session;
    },
    getFactors: () => call<Factors>("/auth/factors"),
    enrolTotp: (name) => call<TotpEnrolment>("/auth/factors/totp", json("POST", name === undefined ? {} : { name })),
    confirmTotp: (factorId, code) => call("/auth/factors/totp/confirm", json("POST", { factor_id: factorId, code })),
    async addPasskey(name) {
      const response = await webauthn.create(await call("/auth/passkeys/options", { method: "POST" }));
      return call<Passkey>("/auth/passkeys", json("POST", name === undefined ? { response } : { response, name }));
    },
    async removeFactor(id) {
      await call(`/auth/factors/${encodeURIComponent(id)}`, { method: "DELETE" });
    },
    newRecoveryCodes: async () => (await call<{ recovery_codes: string[] }>("/auth/recovery-codes", { method: "POST" })).recovery_codes,
    signOut: mode.signOut,
    fetch: mode.fetch,
    refresh: mode.refresh,
    onAuthChange: core.onChange,
    close: () => core.tabs.close(),
    async signUp(account) {
      return jsonOrThrow<Registration>(await ctx.fetch(ctx.url("/auth/register"), json("POST", account)));
    },
    async signOutEverywhere() {
      await call("/auth/logout-all", { method: "POST" });
      await end("everywhere");
    },
    getUser: () => call<User>("/userinfo"),
    async getSessions() {
      const sessions = await call<SessionInfo[]>("/auth/sessions");
      listedCurrent = sessions.find((s) => s.current)?.id;
      return sessions;
    },
    async endSession(id) {
      await call(`/auth/sessions/${encodeURIComponent(id)}`, { method: "DELETE" });
      if (core.get() && (core.get()?.claims?.sid ?? listedCurrent) === id) await end("session_ended");
    },
    async changePassword(currentPassword, newPassword) {
      await call("/auth/password", json("POST", { current_password: currentPassword, new_password: newPassword }));
    },
    signInWithCode: firstStep(mode.signInWithCode),
    sendSignInCode: (email) => open("/auth/otp/send", { email }),
    requestPasswordReset: (who) => open("/auth/password/forgot", who),
    resetPassword: (token, newPassword) => open("/auth/password/reset", { reset_token: token, new_password: newPassword }),
    verifyEmail: (token) => open("/auth/email/verify", { token }),
    async resendVerification() {
      await call("/auth/email/verify/send", { method: "POST" });
    },
    async changeEmail(email, password) {
      await call("/auth/email", json("POST", { email, password }));
    },
    getAccessToken: mode.accessToken,
    async getSession() {
      await core.ready;
      return core.get();
    },
  };
}
