// Token mode: Bearer access tokens, renewed quietly with the rotating refresh
// token. The two promises this file keeps: a page spends each refresh token
// once however many calls need it (single flight, shared with other tabs), and
// a call is retried at most once after a 401, so no loop can ever form.
import { asked, form, type Context, type Mode } from "./context.js";
import { errorFrom, jsonOrThrow, TesseraError } from "./errors.js";
import { stepUp } from "./step-up.js";
import { isDue, sessionFrom, type TokenResponse } from "./tokens.js";
import type { Session, TokenRequest } from "./types.js";

// How long a tab that waited for another tab's refresh gives that tab's
// broadcast to arrive before refreshing itself (locks and messages travel on
// separate paths, so the lock can be granted before the news arrives).
const PEER_NEWS_MS = 250;

// Tessera's own grants: the email code, the second step, the passkey alone.
const GRANT = "urn:tessera:params:oauth:grant-type:";

export function tokenMode(ctx: Context): Mode {
  const { core, fetch, url, ours, clientId, leeway, ask } = ctx;
  let inflight: Promise<Session> | null = null;

  async function grant(fields: Record<string, string>, previousRefresh?: string, seen?: (body: TokenResponse) => void): Promise<Session> {
    const sentAt = Date.now();
    const res = await fetch(url("/oauth/token"), form({ ...fields, client_id: clientId }));
    const body = await jsonOrThrow<TokenResponse>(res);
    seen?.(body);
    return sessionFrom(body, sentAt, res.headers.get("date"), previousRefresh);
  }

  const signedIn = async (): Promise<Session> => {
    await core.ready;
    const session = core.get();
    if (!session?.refreshToken) throw new TesseraError("not_signed_in", "no session: sign in first");
    return session;
  };

  /** Renews the tokens once for every caller that asks while a renewal runs. */
  function refresh(reason: string, narrower?: TokenRequest): Promise<Session> {
    // A narrowing refresh is its own request; quiet ones keep what the session holds.
    if (narrower) return renew(reason, narrower);
    inflight ??= renew(reason).finally(() => (inflight = null));
    return inflight;
  }

  async function renew(reason: string, narrower: TokenRequest = {}): Promise<Session> {
    const spent = (await signedIn()).refreshToken as string;
    return core.tabs.exclusive(async (contended) => {
      await core.reload();
      if (contended && core.get()?.refreshToken === spent) await core.tabs.settled(PEER_NEWS_MS);
      // Another tab rotated (or signed out) while this one waited: adopt its result.
      if (core.get()?.refreshToken !== spent) return signedIn();
      let next: Session;
      try {
        next = await grant({ grant_type: "refresh_token", refresh_token: spent, ...asked(narrower) }, spent);
      } catch (error) {
        if (error instanceof TesseraError && error.code === "invalid_grant") {
          // Reused, idle, past its absolute lifetime or revoked: the session is over.
          const reason = error.reason ?? error.code;
          await core.set(null, { type: "SESSION_EXPIRED", reason, description: error.message });
          const expired = new TesseraError("session_expired", error.message, error.status);
          expired.reason = reason;
          throw expired;
        }
        throw error; // Offline, rate-limited, server down: keep the session and let the caller retry.
      }
      // A sign-out or a new sign-in during the request wins over this result.
      if (core.get()?.refreshToken !== spent) return signedIn();
      return core.set(next, { type: "TOKEN_REFRESHED", reason });
    });
  }

  async function fresh(): Promise<Session> {
    const session = await signedIn();
    return isDue(session, leeway) ? refresh("expiring") : session;
  }

  async function authorizedFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    // One Request built up front so that its body can be sent twice.
    const request = new Request(url(input), init);
    // Another origin gets no token, and its 401 says nothing about our session.
    if (!ours(request)) return fetch(request);
    const session = await fresh();
    const send = (req: Request, token = "") => {
      req.headers.set("authorization", `Bearer ${token}`);
      return fetch(req);
    };
    const res = await send(request.clone(), session.accessToken);
    if (res.status !== 401) return res;
    // A fresher or stronger sign-in wanted (RFC 9470): the app signs in again, then one retry.
    if (!isInvalidToken(res)) return stepUp(ctx, request.url, res, async () => send(request, (await fresh()).accessToken));
    // A concurrent call may have renewed the token already; otherwise renew it here.
    const current = core.get();
    const next = current?.accessToken && current.accessToken !== session.accessToken ? current : await refresh("invalid_token");
    return send(request, next.accessToken);
  }

  return {
    fetch: authorizedFetch,
    refresh: (narrower) => refresh("manual", narrower),
    accessToken: async () => (await fresh()).accessToken ?? null,
    async signIn(username, password, request) {
      await core.ready;
      const session = await grant({ grant_type: "password", username, password, ...asked(request ?? ask) });
      return core.set(session, { type: "SIGNED_IN", reason: "password" });
    },
    async signInWithCode(email, code) {
      await core.ready;
      const session = await grant({ grant_type: `${GRANT}email-otp`, email, code });
      return core.set(session, { type: "SIGNED_IN", reason: "email_code" });
    },
    async finish(kind, { webauthn, ...fields }) {
      await core.ready;
      // Form bodies carry the WebAuthn credential as JSON text.
      const assertion: Record<string, string> = webauthn === undefined ? {} : { webauthn: JSON.stringify(webauthn) };
      let recoveryCodes: string[] | undefined;
      const session = await grant({ grant_type: GRANT + kind, ...(fields as Record<string, string>), ...assertion }, undefined, (body) => (recoveryCodes = body.recovery_codes));
      return { session: await core.set(session, { type: "SIGNED_IN", reason: kind }), recoveryCodes };
    },
    async signOut() {
      await core.ready;
      const session = core.get();
      if (!session) return;
      // Local state goes first: the user asked to leave, and that must hold
      // even when the server cannot be reached to revoke the session.
      await core.set(null, { type: "SIGNED_OUT", reason: "sign_out" });
      if (session.refreshToken) {
        const res = await fetch(
          url("/oauth/revoke"),
          form({ token: session.refreshToken, token_type_hint: "refresh_token", client_id: clientId }),
        );
        if (!res.ok) throw await errorFrom(res);
      }
    },
  };
}

/**
 * A 401 that blames the token (RFC 6750 `error="invalid_token"`). Cross-origin
 * responses hide `WWW-Authenticate` unless the server exposes it, so a 401
 * without a readable header counts as one too.
 */
function isInvalidToken(res: Response): boolean {
  const challenge = res.headers.get("www-authenticate");
  return !challenge || /error="?invalid_token/.test(challenge);
}
