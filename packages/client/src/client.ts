// createClient: picks the mode, wires storage, tabs and events, and builds the
// account API (profile, sessions, password) on top of the mode's fetch.
import { json, type Context } from "./context.js";
import { cookieMode, csrfCookie } from "./cookie-mode.js";
import { createCore } from "./core.js";
import { jsonOrThrow } from "./errors.js";
import { resolveStorage } from "./storage.js";
import { tokenMode } from "./token-mode.js";
import type { AuthChangeEvent, ClientOptions, Registration, Session, SessionInfo, TokenRequest, User } from "./types.js";

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
   */
  signIn(username: string, password: string, request?: TokenRequest): Promise<Session>;
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
   * The current session, once the stored one (if any) has been loaded: a
   * promise, because storage may be async (mobile secure storage, a file).
   *
   * @example
   * ```ts
   * const session = await auth.getSession();
   * if (session) console.log(session.scope, session.claims?.aud);
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
    return csrfToken ? { csrfToken } : null;
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
  };
  const mode = cookies ? cookieMode(ctx) : tokenMode(ctx);
  const call = async <T>(path: string, init?: RequestInit) => jsonOrThrow<T>(await mode.fetch(path, init));
  // The email routes that need no sign-in (JSON; they answer 202 or 204 with no body).
  const open = async (path: string, body: object) => {
    await jsonOrThrow(await ctx.fetch(ctx.url(path), json("POST", body)));
  };
  const end = (reason: string) => core.set(null, { type: "SIGNED_OUT", reason });
  // The current session's id: the access token's `sid`, or (cookie mode, no
  // token) what the last session list marked `current`.
  let listedCurrent: string | undefined;

  return {
    signIn: mode.signIn,
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
    signInWithCode: mode.signInWithCode,
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
