// Cookie mode: the session lives in an HttpOnly cookie that no script can
// read, so an XSS bug cannot carry it away; the price is CSRF, which the
// server stops by requiring `X-CSRF-Token` on unsafe methods — added here.
import { json, type Context, type Mode } from "./context.js";
import { errorFrom, jsonOrThrow, TesseraError } from "./errors.js";
import type { Session } from "./types.js";

const SAFE = /^(GET|HEAD|OPTIONS)$/i;
// The server's double-submit cookie: readable by the page (same origin only),
// it lets a reloaded page that kept no state recover its CSRF token.
const CSRF_COOKIE = /(?:^|;\s*)(?:__Host-)?tessera_csrf=([^;]+)/;

export function cookieMode({ core, fetch, url }: Context): Mode {
  const csrf = () => {
    const cookie = globalThis.document?.cookie.match(CSRF_COOKIE)?.[1];
    return core.get()?.csrfToken ?? (cookie && decodeURIComponent(cookie));
  };

  async function send(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const request = new Request(url(input), { ...init, credentials: "include" });
    const token = csrf();
    if (token && !SAFE.test(request.method)) request.headers.set("x-csrf-token", token);
    return fetch(request);
  }

  async function authorizedFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    await core.ready;
    const res = await send(input, init);
    if (res.status !== 401) return res;
    // No refresh exists in this mode: a refused cookie means the session is over.
    const error = await errorFrom(res.clone());
    const known = core.get();
    const reason = error.reason ?? "invalid_session";
    if (known) await core.set(null, { type: "SESSION_EXPIRED", reason, description: error.message });
    const expired = new TesseraError(known ? "session_expired" : "not_signed_in", error.message, 401);
    expired.reason = reason;
    throw expired;
  }

  return {
    fetch: authorizedFetch,
    accessToken: async () => null,
    async refresh() {
      await core.ready;
      // The server slides the cookie's expiry on every use; nothing to renew here.
      return core.get() ?? {};
    },
    async signIn(username, password) {
      await core.ready;
      const res = await fetch(url("/session/login") as string, { ...json("POST", { username, password }), credentials: "include" });
      const body = await jsonOrThrow<{ csrf_token: string }>(res);
      return core.set<Session>({ csrfToken: body.csrf_token }, { type: "SIGNED_IN", reason: "password" });
    },
    async signOut() {
      await core.ready;
      // Read the CSRF token before the local state (which holds it) is cleared.
      const res = send("/session/logout", { method: "POST" });
      if (core.get()) await core.set(null, { type: "SIGNED_OUT", reason: "sign_out" });
      const done = await res;
      if (!done.ok) throw await errorFrom(done);
    },
  };
}
