// Cookie mode: the session lives in an HttpOnly cookie that no script can
// read, so an XSS bug cannot carry it away; the price is CSRF, which the
// server stops by requiring `X-CSRF-Token` on unsafe methods — added here.
import { json, type Context, type Mode } from "./context.js";
import { errorFrom, jsonOrThrow, TesseraError } from "./errors.js";
import { stepUp } from "./step-up.js";
import type { Session } from "./types.js";

const SAFE = /^(GET|HEAD|OPTIONS)$/i;
// The server's double-submit cookie: readable by the page (same origin only).
// It is set and cleared together with the session cookie, so it always
// matches the session the browser holds — even after a sign-in in another
// tab replaced that session — and a page that kept no state can recover it.
// Only the `__Host-` one: a sibling subdomain can plant a `tessera_csrf`
// (Domain=.example.com) but never a `__Host-` cookie. A value that does not
// decode is no token, not a reason to throw.
const CSRF_COOKIE = /(?:^|;\s*)__Host-tessera_csrf=([^;]+)/;

/** The CSRF token of the browser's current cookie session, when this page can read it. */
export function csrfCookie(): string | undefined {
  const value = globalThis.document?.cookie.match(CSRF_COOKIE)?.[1];
  try {
    return value && decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

export function cookieMode(ctx: Context): Mode {
  const { core, fetch, url, ours } = ctx;
  const csrf = () => csrfCookie() ?? core.get()?.csrfToken;

  async function send(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const request = new Request(url(input), { ...init, credentials: "include" });
    const token = csrf();
    if (token && !SAFE.test(request.method)) request.headers.set("x-csrf-token", token);
    return fetch(request);
  }

  async function authorizedFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const given = new Request(url(input), init);
    // Another origin gets neither our cookies nor the CSRF token, and its 401 ends nothing.
    if (!ours(given)) return fetch(given);
    await core.ready;
    const res = await send(given.clone());
    // Tessera refuses a missing, unknown or ended cookie with a bare challenge
    // (RFC 6750 §3.1: no `error`). A 401 that names an error came from behind
    // (an API reached through /bff refusing its token): the session is fine —
    // though the sign-in may be too old or too weak for it (step-up, RFC 9470).
    if (res.status !== 401) return res;
    if (/error=/.test(res.headers.get("www-authenticate") ?? "")) return stepUp(ctx, given.url, res, () => send(given));
    // No refresh exists in this mode: a refused cookie means the session is over.
    const error = await errorFrom(res.clone());
    const known = core.get();
    const reason = error.reason ?? "invalid_session";
    if (known) await core.set(null, { type: "SESSION_EXPIRED", reason, description: error.message });
    const expired = new TesseraError(known ? "session_expired" : "not_signed_in", error.message, 401);
    expired.reason = reason;
    throw expired;
  }

  async function start(path: string, body: Record<string, unknown>, reason: string, seen?: (codes?: string[]) => void): Promise<Session> {
    await core.ready;
    const res = await fetch(url(path), { ...json("POST", body), credentials: "include" });
    const answer = await jsonOrThrow<{ csrf_token: string; recovery_codes?: string[] }>(res);
    seen?.(answer.recovery_codes);
    return core.set<Session>({ mode: "cookie", csrfToken: answer.csrf_token }, { type: "SIGNED_IN", reason });
  }

  return {
    fetch: authorizedFetch,
    accessToken: async () => null,
    async refresh() {
      await core.ready;
      // The server slides the cookie's expiry on every use; nothing to renew here.
      const session = core.get();
      if (!session) throw new TesseraError("not_signed_in", "no session: sign in first");
      return session;
    },
    async signIn(username, password) {
      return start("/session/login", { username, password }, "password");
    },
    async signInWithCode(email, code) {
      return start("/session/otp", { email, code }, "email_code");
    },
    async finish(kind, fields) {
      let recoveryCodes: string[] | undefined;
      const session = await start(`/session/${kind}`, fields, kind, (codes) => (recoveryCodes = codes));
      return { session, recoveryCodes };
    },
    async signOut() {
      await core.ready;
      // Unlike a token, an HttpOnly cookie cannot be dropped by the page: only
      // the server can end the session and clear it. Until it has, the browser
      // is still signed in, and saying otherwise would be a lie.
      const res = await send("/session/logout", { method: "POST" });
      if (!res.ok) throw await errorFrom(res);
      if (core.get()) await core.set(null, { type: "SIGNED_OUT", reason: "sign_out" });
    },
  };
}
