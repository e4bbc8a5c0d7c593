// Cookie sessions beside tokens: attributes, CSRF, sliding expiry,
// fixation, logout, revocation, Bearer precedence, CORS.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestServer, testClock, type TestServer } from "../helpers/server.js";

let server: TestServer;
const clock = testClock();

let origin = ""; // the issuer's origin, set in before()
before(async () => {
  server = await startTestServer({ clock, config: { allowedOrigins: ["https://app.example.com"] } });
  origin = new URL(server.issuer).origin;
});
after(() => server.close());

interface CookieLogin {
  secret: string;
  csrf: string;
  setCookies: string[];
  username: string;
  password: string;
}

function cookiesOf(headers: Headers): string[] {
  return headers.getSetCookie();
}

function valueOf(setCookies: string[], name: string): string | undefined {
  const line = setCookies.find((c) => c.startsWith(`${name}=`));
  return line?.slice(name.length + 1).split(";")[0];
}

let counter = 0;
async function login(username = `cookie${++counter}`, password = "cookie user password", headers: Record<string, string> = {}): Promise<CookieLogin> {
  const reg = await server.request("POST", "/auth/register", { json: { username, password } });
  assert.ok(reg.status === 201 || reg.status === 409);
  const res = await server.request<{ csrf_token: string }>("POST", "/session/login", { json: { username, password }, headers: { origin, ...headers } });
  assert.equal(res.status, 200, res.text);
  const setCookies = cookiesOf(res.headers);
  return { secret: valueOf(setCookies, "__Host-tessera_session")!, csrf: res.body.csrf_token, setCookies, username, password };
}

function withCookie(s: CookieLogin, extra: Record<string, string> = {}): Record<string, string> {
  return { cookie: `__Host-tessera_session=${s.secret}`, ...extra };
}

describe("login", () => {
  test("sets the session cookie exactly: __Host- prefix, HttpOnly, Secure, SameSite=Lax, Path=/, no Domain", async () => {
    const s = await login();
    const session = s.setCookies.find((c) => c.startsWith("__Host-tessera_session="))!;
    const attributes = session.split("; ").slice(1).sort();
    assert.deepEqual(attributes, ["HttpOnly", "Max-Age=604800", "Path=/", "SameSite=Lax", "Secure"]);
    assert.match(s.secret, /^[A-Za-z0-9_-]{43}$/, "256 random bits");
    const csrf = s.setCookies.find((c) => c.startsWith("__Host-tessera_csrf="))!;
    assert.ok(!csrf.includes("HttpOnly"), "the CSRF cookie is readable by the page");
    assert.ok(csrf.includes("Secure") && csrf.includes("SameSite=Lax") && csrf.includes("Path=/"));
    assert.equal(valueOf(s.setCookies, "__Host-tessera_csrf"), s.csrf);
  });

  test("the session secret is stored only as a hash", async () => {
    const s = await login();
    const me = await server.request<{ sub: string }>("GET", "/userinfo", { headers: withCookie(s) });
    const [row] = await server.tessera.parts.sessions.list(me.body.sub);
    assert.equal(row?.kind, "cookie");
    assert.notEqual(row?.cookie_hash, s.secret);
    assert.equal(row?.cookie_hash?.length, 43);
  });

  test("fails exactly like the password grant", async () => {
    await login("cookie-fail", "the right password");
    const res = await server.request("POST", "/session/login", { json: { username: "cookie-fail", password: "the wrong password" }, headers: { origin } });
    const grant = await server.request("POST", "/oauth/token", { form: { grant_type: "password", username: "cookie-fail", password: "the wrong password" } });
    assert.equal(res.status, 400);
    assert.equal(res.text, grant.text);
    assert.deepEqual(cookiesOf(res.headers), [], "no cookie on failure");
    const unknown = await server.request("POST", "/session/login", { json: { username: "nobody-at-all", password: "the wrong password" }, headers: { origin } });
    assert.equal(unknown.text, res.text);
  });
});

describe("authentication by cookie", () => {
  test("GET /userinfo with the cookie reports auth: cookie", async () => {
    const s = await login();
    const res = await server.request<Record<string, unknown>>("GET", "/userinfo", { headers: withCookie(s) });
    assert.equal(res.status, 200);
    assert.equal(res.body.auth, "cookie");
    assert.equal(res.body.username, s.username);
  });

  test("a request with both a Bearer token and a cookie uses the Bearer token", async () => {
    const s = await login();
    const other = await server.signUpAndSignIn();
    const res = await server.request<Record<string, unknown>>("GET", "/userinfo", { token: other.access_token, headers: withCookie(s) });
    assert.equal(res.body.auth, "bearer");
    assert.equal(res.body.username, other.username);
  });

  test("a cookie session is listed in /auth/sessions with its kind", async () => {
    const s = await login();
    const res = await server.request<Array<{ kind: string; current: boolean }>>("GET", "/auth/sessions", { headers: withCookie(s) });
    assert.deepEqual(res.body.map((x) => [x.kind, x.current]), [["cookie", true]]);
  });

  test("an unknown or forged cookie is no credential, and is cleared", async () => {
    const res = await server.request("GET", "/userinfo", { headers: { cookie: `__Host-tessera_session=${"A".repeat(43)}` } });
    assert.equal(res.status, 401);
    assert.ok(cookiesOf(res.headers).some((c) => c.startsWith("__Host-tessera_session=;") && c.includes("Max-Age=0")));
  });
});

describe("CSRF", () => {
  const unsafe = (s: CookieLogin, headers: Record<string, string>) => server.request("POST", "/auth/logout", { headers: withCookie(s, headers) });

  test("refused without the header, with a wrong one, with another session's, with a foreign or missing Origin", async () => {
    const s = await login();
    const other = await login();
    const cases: Array<[string, Record<string, string>]> = [
      ["no token", { origin }],
      ["wrong token", { origin, "x-csrf-token": "A".repeat(43) }],
      ["another session's token", { origin, "x-csrf-token": other.csrf }],
      ["foreign Origin", { origin: "https://evil.example", "x-csrf-token": s.csrf }],
      ["null Origin", { origin: "null", "x-csrf-token": s.csrf }],
      ["no Origin nor Referer", { "x-csrf-token": s.csrf }],
      ["foreign Referer", { referer: "https://evil.example/page", "x-csrf-token": s.csrf }],
    ];
    for (const [name, headers] of cases) {
      const res = await unsafe(s, headers);
      assert.equal(res.status, 403, name);
      assert.equal((res.body as { error: string }).error, "csrf_failed", name);
    }
    assert.equal((await server.request("GET", "/userinfo", { headers: withCookie(s) })).status, 200, "the session survived every attempt");
  });

  test("allowed with the right token and an allowed Origin, or a same-origin Referer", async () => {
    const a = await login();
    assert.equal((await unsafe(a, { origin, "x-csrf-token": a.csrf })).status, 204);
    const b = await login();
    assert.equal((await unsafe(b, { referer: `${origin}/some/page`, "x-csrf-token": b.csrf })).status, 204);
    const c = await login();
    assert.equal((await unsafe(c, { origin: "https://app.example.com", "x-csrf-token": c.csrf })).status, 204, "TESSERA_ALLOWED_ORIGINS");
  });

  test("CSRF is not asked of safe methods: GET and HEAD with the cookie alone pass", async () => {
    const s = await login();
    assert.equal((await server.request("GET", "/userinfo", { headers: withCookie(s) })).status, 200);
    assert.equal((await server.request("HEAD", "/userinfo", { headers: withCookie(s) })).status, 200);
  });

  test("CSRF with an Origin of null falls back to the Referer: a same-origin one passes, a foreign one is refused", async () => {
    const s = await login();
    const foreign = await unsafe(s, { origin: "null", referer: "https://evil.example/page", "x-csrf-token": s.csrf });
    assert.equal(foreign.status, 403);
    assert.equal((await unsafe(s, { origin: "null", referer: `${origin}/page`, "x-csrf-token": s.csrf })).status, 204);
  });

  test("CSRF on a loopback listener: the page opened as localhost or [::1] is this server too, another port is not", async () => {
    const port = new URL(origin).port;
    const other = await login();
    const refused = await unsafe(other, { origin: `http://localhost:${Number(port) + 1}`, "x-csrf-token": other.csrf });
    assert.equal(refused.status, 403, "localhost on another port");
    for (const alias of [`http://localhost:${port}`, `http://[::1]:${port}`]) {
      const s = await login();
      assert.equal((await unsafe(s, { origin: alias, "x-csrf-token": s.csrf })).status, 204, alias);
    }
  });

  test("Bearer requests are not subject to it", async () => {
    const user = await server.signUpAndSignIn();
    const res = await server.request("POST", "/auth/logout", { token: user.access_token, headers: { origin: "https://evil.example" } });
    assert.equal(res.status, 204);
  });

  test("POST /auth/password through a cookie needs CSRF too", async () => {
    const s = await login();
    const body = { current_password: s.password, new_password: "another long password" };
    const bare = await server.request("POST", "/auth/password", { json: body, headers: withCookie(s) });
    assert.equal(bare.status, 403);
    assert.equal((await server.request("GET", "/userinfo", { headers: withCookie(s) })).status, 200, "the session survived");
    const still = await server.request("POST", "/oauth/token", { form: { grant_type: "password", username: s.username, password: s.password } });
    assert.equal(still.status, 200, "the password did not change");
    const ok = await server.request("POST", "/auth/password", { json: body, headers: withCookie(s, { origin, "x-csrf-token": s.csrf }) });
    assert.equal(ok.status, 204);
  });
});

describe("expiry", () => {
  test("use slides the expiry and the cookie's Max-Age keeps in step", async () => {
    const s = await login();
    clock.advance(2 * 86_400_000);
    const res = await server.request("GET", "/userinfo", { headers: withCookie(s) });
    assert.equal(res.status, 200);
    const renewed = cookiesOf(res.headers).find((c) => c.startsWith("__Host-tessera_session="));
    assert.ok(renewed?.includes("Max-Age=604800"), renewed);
    clock.advance(6 * 86_400_000);
    assert.equal((await server.request("GET", "/userinfo", { headers: withCookie(s) })).status, 200, "8 days after login, 6 after last use");
  });

  test("the idle timeout ends an unused session", async () => {
    const s = await login();
    clock.advance(7 * 86_400_000 + 1000);
    const res = await server.request<{ sub?: string }>("GET", "/userinfo", { headers: withCookie(s) });
    assert.equal(res.status, 401);
    const user = await server.tessera.parts.users.find(s.username);
    assert.deepEqual(await server.tessera.parts.sessions.list(user!.id), []);
  });

  test("the absolute lifetime ends a session in daily use", async () => {
    const s = await login();
    for (let day = 0; day < 29; day++) {
      clock.advance(86_400_000);
      assert.equal((await server.request("GET", "/userinfo", { headers: withCookie(s) })).status, 200, `day ${day + 1}`);
    }
    clock.advance(86_400_000);
    assert.equal((await server.request("GET", "/userinfo", { headers: withCookie(s) })).status, 401);
  });

  test("Max-Age never outlives the absolute lifetime", async () => {
    const s = await login();
    let last: Headers | undefined;
    for (let day = 0; day < 28; day++) {
      clock.advance(86_400_000);
      last = (await server.request("GET", "/userinfo", { headers: withCookie(s) })).headers;
    }
    const maxAge = Number(/Max-Age=(\d+)/.exec(cookiesOf(last!).join(";"))?.[1]);
    assert.ok(maxAge > 0 && maxAge <= 2 * 86_400, `Max-Age ${maxAge} is capped by the 30-day end`);
  });
});

describe("session fixation and ending", () => {
  test("a cookie planted before sign-in is never promoted", async () => {
    const planted = "P".repeat(43);
    const s = await login(undefined, undefined, { cookie: `__Host-tessera_session=${planted}` });
    assert.notEqual(s.secret, planted);
    assert.equal((await server.request("GET", "/userinfo", { headers: { cookie: `__Host-tessera_session=${planted}` } })).status, 401);
  });

  test("signing in again replaces the session: the old cookie stops working", async () => {
    const first = await login();
    const second = await login(first.username, first.password, withCookie(first));
    assert.notEqual(second.secret, first.secret);
    assert.equal((await server.request("GET", "/userinfo", { headers: withCookie(first) })).status, 401);
    assert.equal((await server.request("GET", "/userinfo", { headers: withCookie(second) })).status, 200);
  });

  test("logout clears the cookies and the server state", async () => {
    const s = await login();
    const res = await server.request("POST", "/session/logout", { headers: withCookie(s, { origin, "x-csrf-token": s.csrf }) });
    assert.equal(res.status, 204);
    const cleared = cookiesOf(res.headers);
    for (const name of ["__Host-tessera_session", "__Host-tessera_csrf"]) {
      assert.ok(cleared.some((c) => c.startsWith(`${name}=;`) && c.includes("Max-Age=0")), name);
    }
    assert.equal((await server.request("GET", "/userinfo", { headers: withCookie(s) })).status, 401);
  });

  test("logout of a live session needs CSRF; without a session it is a harmless 204 (from an allowed page)", async () => {
    const s = await login();
    const forged = await server.request("POST", "/session/logout", { headers: withCookie(s, { origin: "https://evil.example" }) });
    assert.equal(forged.status, 403);
    assert.equal((await server.request("GET", "/userinfo", { headers: withCookie(s) })).status, 200, "the session survived the forged logout");
    const none = await server.request("POST", "/session/logout", { headers: { origin } });
    assert.equal(none.status, 204);
  });

  test("a cookie of a session ended elsewhere (logout-all with a token) is refused", async () => {
    const s = await login();
    const token = await server.request<{ access_token: string }>("POST", "/oauth/token", { form: { grant_type: "password", username: s.username, password: s.password } });
    await server.request("POST", "/auth/logout-all", { token: token.body.access_token });
    assert.equal((await server.request("GET", "/userinfo", { headers: withCookie(s) })).status, 401);
  });

  test("a cookie of a session revoked by an operator is refused", async () => {
    const s = await login();
    const me = await server.request<{ sub: string }>("GET", "/userinfo", { headers: withCookie(s) });
    const [session] = await server.tessera.parts.sessions.list(me.body.sub);
    await server.tessera.parts.sessions.end(session!.id, "admin");
    assert.equal((await server.request("GET", "/userinfo", { headers: withCookie(s) })).status, 401);
  });
});

describe("CORS and headers", () => {
  test("preflight from an allowed origin; credentials only where cookies are used", async () => {
    const preflight = (path: string, from: string) => server.request("OPTIONS", path, { headers: { origin: from, "access-control-request-method": "POST", "access-control-request-headers": "content-type,x-csrf-token" } });
    const token = await preflight("/oauth/token", "https://app.example.com");
    assert.equal(token.headers.get("access-control-allow-origin"), "https://app.example.com");
    assert.equal(token.headers.get("access-control-allow-credentials"), null);
    const session = await preflight("/session/login", "https://app.example.com");
    assert.equal(session.headers.get("access-control-allow-credentials"), "true");
    assert.match(session.headers.get("access-control-allow-headers") ?? "", /X-CSRF-Token/i);
    const foreign = await preflight("/session/login", "https://evil.example");
    assert.equal(foreign.headers.get("access-control-allow-origin"), null);
  });

  test("HTML answers carry CSP, frame-ancestors, nosniff and a referrer policy", async () => {
    const res = await server.request("GET", "/");
    assert.match(res.headers.get("content-type") ?? "", /text\/html/);
    assert.match(res.headers.get("content-security-policy") ?? "", /frame-ancestors 'none'/);
    assert.match(res.headers.get("content-security-policy") ?? "", /script-src 'self'/);
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    assert.equal(res.headers.get("referrer-policy"), "no-referrer");
  });
});
