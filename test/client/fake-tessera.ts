// An in-process stand-in for the parts of a Tessera server the SDK's refresh
// logic meets: password and refresh grants with rotation, grace window and
// reuse detection, revocation, /userinfo with RFC 6750 errors, cookie login.
// It runs on its own clock (`offset` ms from the client's) so that tests can
// put the two clocks minutes apart. Flows against the real server live in the
// browser tests; this fake exists to drive time and failures precisely.

export interface Call {
  method: string;
  path: string;
  authorization: string | null;
  csrf: string | null;
  credentials: RequestCredentials;
  body: Record<string, string>;
}

export interface FakeOptions {
  /** Access-token lifetime in seconds. */
  ttl?: number;
  /** Server clock minus client clock, in ms. */
  offset?: number;
  /** Grace window for a just-spent refresh token, in ms. */
  grace?: number;
}

interface FakeSession {
  current: string;
  spent: Map<string, number>;
  /** Why the session ended, once it has. */
  ended?: string;
  tokens: Set<string>;
}

const b64url = (value: unknown) =>
  btoa(JSON.stringify(value)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");

const reply = (status: number, body?: unknown, headers: Record<string, string> = {}) =>
  new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
  });

export function fakeTessera({ ttl = 900, offset = 0, grace = 10_000 }: FakeOptions = {}) {
  const calls: Call[] = [];
  const sessions = new Map<string, FakeSession>();
  let counter = 0;
  /** Per-test override for /userinfo: return a Response to answer instead of the fake. */
  let userinfo: ((call: Call) => Response | undefined) | undefined;
  /** Per-test override for the refresh grant (e.g. to simulate a network failure). */
  let onRefresh: (() => void) | undefined;
  const now = () => Date.now() + offset;

  function issue(sid: string) {
    const iat = Math.floor(now() / 1000);
    const claims = { iss: "http://fake", sub: "user-1", aud: "http://fake", iat, exp: iat + ttl, jti: `j${++counter}`, sid, client_id: "tessera-web", scope: "openid", roles: ["user"] };
    const access = `${b64url({ alg: "ES256", typ: "at+jwt", kid: "k1" })}.${b64url(claims)}.sig`;
    const session = sessions.get(sid) as FakeSession;
    session.tokens.add(access);
    return { access_token: access, token_type: "Bearer", expires_in: ttl, refresh_token: session.current, scope: "openid" };
  }

  function bearerSession(authorization: string | null): FakeSession | "expired" | undefined {
    const token = authorization?.replace(/^Bearer /, "") ?? "";
    const claims = JSON.parse(atob((token.split(".")[1] ?? "").replace(/-/g, "+").replace(/_/g, "/")) || "{}") as { exp?: number; sid?: string };
    const session = claims.sid ? sessions.get(claims.sid) : undefined;
    if (!session || session.ended || !session.tokens.has(token)) return undefined;
    return (claims.exp ?? 0) * 1000 <= now() ? "expired" : session;
  }

  async function handle(call: Call): Promise<Response> {
    const invalidGrant = (reason: string) => reply(400, { error: "invalid_grant", error_description: "refresh token is not valid", reason });
    if (call.path === "/oauth/token" && call.body.grant_type === "password") {
      if (call.body.password !== "correct horse") return reply(400, { error: "invalid_grant", error_description: "bad credentials" });
      const sid = `s${++counter}`;
      sessions.set(sid, { current: `rt_${++counter}`, spent: new Map(), tokens: new Set() });
      return reply(200, issue(sid));
    }
    if (call.path === "/oauth/token" && call.body.grant_type === "refresh_token") {
      onRefresh?.();
      // Let concurrent requests pile up the way they would over a network.
      await new Promise((resolve) => setTimeout(resolve, 5));
      const token = call.body.refresh_token ?? "";
      for (const [sid, session] of sessions) {
        const known = session.current === token || session.spent.has(token);
        if (known && session.ended) return invalidGrant(session.ended);
        if (session.current === token) {
          session.spent.set(token, now());
          session.current = `rt_${++counter}`;
          return reply(200, issue(sid));
        }
        const spentAt = session.spent.get(token);
        if (spentAt !== undefined && now() - spentAt <= grace) return reply(200, issue(sid));
        if (spentAt !== undefined) {
          session.ended = "reuse";
          return invalidGrant("reuse");
        }
      }
      return invalidGrant("revoked");
    }
    if (call.path === "/oauth/revoke") {
      for (const session of sessions.values()) if (session.current === call.body.token) session.ended = "revoked";
      return reply(200);
    }
    if (call.path === "/userinfo") {
      const override = userinfo?.(call);
      if (override) return override;
      const session = bearerSession(call.authorization);
      if (!session || session === "expired") {
        return reply(401, { error: "invalid_token" }, { "www-authenticate": 'Bearer realm="tessera", error="invalid_token"' });
      }
      return reply(200, { sub: "user-1", username: "ada", email: null, roles: ["user"], auth: "bearer" });
    }
    if (call.path === "/auth/logout-all") {
      for (const session of sessions.values()) session.ended = "revoked";
      return reply(204);
    }
    if (call.path === "/session/login") return reply(200, { csrf_token: "csrf-1" });
    if (call.path === "/session/logout" || call.path === "/auth/password") return reply(204);
    return reply(404, { error: "not_found" });
  }

  const fetch: typeof globalThis.fetch = async (input, init) => {
    const request = new Request(input, init);
    const text = request.method === "GET" ? "" : await request.text();
    const body = text.startsWith("{") ? (JSON.parse(text) as Record<string, string>) : Object.fromEntries(new URLSearchParams(text));
    const call: Call = {
      method: request.method,
      path: new URL(request.url).pathname.replace(/^\/base/, ""),
      authorization: request.headers.get("authorization"),
      csrf: request.headers.get("x-csrf-token"),
      credentials: request.credentials,
      body,
    };
    calls.push(call);
    return handle(call);
  };

  return {
    fetch,
    calls,
    sessions,
    count: (path: string, grant?: string) => calls.filter((c) => c.path === path && (!grant || c.body.grant_type === grant)).length,
    set userinfo(fn: typeof userinfo) {
      userinfo = fn;
    },
    set onRefresh(fn: typeof onRefresh) {
      onRefresh = fn;
    },
  };
}
