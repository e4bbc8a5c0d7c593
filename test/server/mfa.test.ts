// Second factors over HTTP (docs/mfa.md): TOTP enrolment, recovery codes, the
// mfa_required step on the password grant and cookie login, the mfa grant and
// /session/mfa, amr/auth_time, step-up, and every single-use secret raced 30 ways.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { base32Decode, totpAt } from "../../src/core/mfa/totp.js";
import { sha256 } from "../../src/core/crypto-utils.js";
import { startTestServer, testClock, type TestServer } from "../helpers/server.js";
import { signInAdmin } from "../helpers/admin.js";
import { createServer } from "node:http";
import { createVerifier, nodeAuth, requireAmr, requireAuthTime } from "../../packages/verify/src/index.js";

const MFA = "urn:tessera:params:oauth:grant-type:mfa";
const PASSWORD = "second factor test password";
let server: TestServer;
// Mid-step, so that "one step later" is a different step whatever the start.
const clock = testClock(Math.floor(Date.now() / 30_000) * 30_000 + 10_000);
let origin = "";

before(async () => {
  server = await startTestServer({ clock, hashConcurrency: 2 });
  origin = new URL(server.issuer).origin;
});
after(() => server.close());

interface Tokens { access_token: string; refresh_token: string }
interface MfaRequired { error: string; error_description: string; mfa_token: string; methods: string[] }

function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString()) as Record<string, unknown>;
}

const codeNow = (secret: string, offsetMs = 0) => totpAt(base32Decode(secret), clock.now() + offsetMs);

let n = 0;
/** A user with a confirmed authenticator app: its secret, recovery codes and a fresh token. */
async function enrolled(on: TestServer = server): Promise<{ username: string; userId: string; secret: string; factorId: string; recovery: string[]; token: string }> {
  const server = on;
  const user = await server.signUpAndSignIn(`mfa${process.pid}x${++n}`, PASSWORD);
  const started = await server.request<{ factor_id: string; secret: string; otpauth_uri: string }>("POST", "/auth/factors/totp", { token: user.access_token, json: { name: "Phone" } });
  assert.equal(started.status, 200, started.text);
  const confirmed = await server.request<{ recovery_codes: string[] }>("POST", "/auth/factors/totp/confirm", {
    token: user.access_token, json: { factor_id: started.body.factor_id, code: codeNow(started.body.secret) },
  });
  assert.equal(confirmed.status, 200, confirmed.text);
  // The confirming code's step is now spent: later tests start one step on.
  clock.advance(30_000);
  return { username: user.username, userId: user.userId, secret: started.body.secret, factorId: started.body.factor_id, recovery: confirmed.body.recovery_codes, token: user.access_token };
}

function passwordGrant(username: string, extra: Record<string, string> = {}) {
  return server.request<MfaRequired & Tokens>("POST", "/oauth/token", { form: { grant_type: "password", username, password: PASSWORD, ...extra } });
}

async function mfaToken(username: string): Promise<string> {
  const res = await passwordGrant(username);
  assert.equal(res.status, 403, res.text);
  return res.body.mfa_token;
}

function mfaGrant(fields: Record<string, string>) {
  return server.request<Tokens & { error: string }>("POST", "/oauth/token", { form: { grant_type: MFA, ...fields } });
}

describe("enrolment", () => {
  test("a user without factors signs in with the password alone, amr pwd", async () => {
    const user = await server.signUpAndSignIn(`plain${process.pid}x${++n}`, PASSWORD);
    const claims = claimsOf(user.access_token);
    assert.deepEqual(claims.amr, ["pwd"]);
    assert.equal(claims.auth_time, Math.floor(clock.now() / 1000));
    const info = await server.request<{ amr: string[] }>("GET", "/userinfo", { token: user.access_token });
    assert.deepEqual(info.body.amr, ["pwd"]);
    const factors = await server.request("GET", "/auth/factors", { token: user.access_token });
    assert.deepEqual(factors.body, { factors: [], recovery_codes_left: 0 });
  });

  test("TOTP: pending until confirmed, a wrong code refused, ten recovery codes at the first confirm only", async () => {
    const user = await server.signUpAndSignIn(`enrol${process.pid}x${++n}`, PASSWORD);
    const started = await server.request<{ factor_id: string; secret: string; otpauth_uri: string }>("POST", "/auth/factors/totp", { token: user.access_token });
    assert.equal(started.status, 200, started.text);
    assert.match(started.body.secret, /^[A-Z2-7]{32}$/);
    assert.ok(started.body.otpauth_uri.startsWith("otpauth://totp/"));
    assert.equal(new URL(started.body.otpauth_uri).searchParams.get("secret"), started.body.secret);
    // Pending: not listed, and the password still signs in alone.
    assert.deepEqual((await server.request("GET", "/auth/factors", { token: user.access_token })).body, { factors: [], recovery_codes_left: 0 });
    assert.equal((await passwordGrant(user.username)).status, 200);

    const wrong = await server.request("POST", "/auth/factors/totp/confirm", { token: user.access_token, json: { factor_id: started.body.factor_id, code: "000000" === codeNow(started.body.secret) ? "111111" : "000000" } });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.error, "invalid_code");
    const ok = await server.request<{ recovery_codes: string[] }>("POST", "/auth/factors/totp/confirm", { token: user.access_token, json: { factor_id: started.body.factor_id, code: codeNow(started.body.secret) } });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.recovery_codes.length, 10);
    const again = await server.request("POST", "/auth/factors/totp/confirm", { token: user.access_token, json: { factor_id: started.body.factor_id, code: codeNow(started.body.secret) } });
    assert.equal(again.status, 404, "a confirmed factor is not pending any more");

    const listed = await server.request<{ factors: Array<Record<string, unknown>>; recovery_codes_left: number }>("GET", "/auth/factors", { token: user.access_token });
    assert.equal(listed.body.recovery_codes_left, 10);
    assert.equal(listed.body.factors.length, 1);
    assert.equal(listed.body.factors[0]!.type, "totp");
    assert.equal(listed.body.factors[0]!.name, "Authenticator app");
    assert.ok(!JSON.stringify(listed.body).includes(started.body.secret), "the secret is never shown again");

    // A second app: confirmed without new recovery codes.
    const second = await server.request<{ factor_id: string; secret: string }>("POST", "/auth/factors/totp", { token: user.access_token, json: { name: "Tablet" } });
    const confirmed = await server.request("POST", "/auth/factors/totp/confirm", { token: user.access_token, json: { factor_id: second.body.factor_id, code: codeNow(second.body.secret) } });
    assert.deepEqual(confirmed.body, {});
    clock.advance(30_000);
  });

  test("the TOTP secret is stored sealed, recovery codes only hashed", async () => {
    const u = await enrolled();
    const [factor] = await server.tessera.parts.store.factors.listFactors(u.userId);
    assert.ok(factor!.secret_enc!.startsWith("v1."));
    assert.ok(!factor!.secret_enc!.includes(u.secret));
    const dump = JSON.stringify(await server.tessera.parts.store.factors.listFactors(u.userId));
    assert.ok(!dump.includes(u.secret));
    for (const code of u.recovery) assert.ok(!(await server.tessera.parts.store.factors.useRecoveryCode(u.userId, code, clock.now())), "a plain code is not a stored key");
  });

  test("bad input: unknown or foreign factor ids are 404, wrong types are 400, never a 500", async () => {
    const a = await enrolled();
    const b = await enrolled();
    const bodies: unknown[] = [{ factor_id: 5, code: "123456" }, { factor_id: a.factorId }, { factor_id: a.factorId, code: 123456 }, { factor_id: a.factorId, code: "1", extra: 1 }, []];
    for (const json of bodies) {
      const res = await server.request("POST", "/auth/factors/totp/confirm", { token: a.token, json });
      assert.equal(res.status, 400, `${JSON.stringify(json)} → ${res.text}`);
    }
    for (const id of ["nope", "x".repeat(22), "\u0000".repeat(22), "%00", b.factorId]) {
      const res = await server.request("DELETE", `/auth/factors/${encodeURIComponent(id)}`, { token: a.token });
      assert.equal(res.status, 404, `${id} → ${res.text}`);
    }
    const long = await server.request("DELETE", `/auth/factors/${"a".repeat(300)}`, { token: a.token });
    assert.ok(long.status === 404 || long.status === 400, long.text);
    const name = await server.request("POST", "/auth/factors/totp", { token: a.token, json: { name: 7 } });
    assert.equal(name.status, 400);
    const noAuth = await server.request("GET", "/auth/factors");
    assert.equal(noAuth.status, 401);
  });
});

describe("the second step", () => {
  test("the password grant answers 403 mfa_required with a 256-bit mfa_token and the user's methods", async () => {
    const u = await enrolled();
    const res = await passwordGrant(u.username);
    assert.equal(res.status, 403);
    assert.equal(res.body.error, "mfa_required");
    assert.equal(typeof res.body.error_description, "string");
    assert.match(res.body.mfa_token, /^tmfa_[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(res.body.methods, ["totp", "recovery_code"]);
    assert.equal(res.headers.get("cache-control"), "no-store");
    assert.equal(res.body.access_token, undefined);
  });

  test("a wrong password is still invalid_grant (no mfa_token for it)", async () => {
    const u = await enrolled();
    const res = await server.request("POST", "/oauth/token", { form: { grant_type: "password", username: u.username, password: "not the password" } });
    assert.equal(res.status, 400);
    assert.equal(res.body.error, "invalid_grant");
    assert.equal(res.body.mfa_token, undefined);
  });

  test("otp finishes the sign-in: amr pwd+otp+mfa, auth_time, kept across refresh and in /userinfo", async () => {
    const u = await enrolled();
    const token = await mfaToken(u.username);
    const res = await mfaGrant({ mfa_token: token, otp: codeNow(u.secret) });
    assert.equal(res.status, 200, res.text);
    const claims = claimsOf(res.body.access_token);
    assert.deepEqual(claims.amr, ["pwd", "otp", "mfa"]);
    assert.equal(claims.auth_time, Math.floor(clock.now() / 1000));
    const signedInAt = claims.auth_time;
    clock.advance(60_000);
    const refreshed = await server.request<Tokens>("POST", "/oauth/token", { form: { grant_type: "refresh_token", refresh_token: res.body.refresh_token } });
    assert.equal(refreshed.status, 200, refreshed.text);
    assert.deepEqual(claimsOf(refreshed.body.access_token).amr, ["pwd", "otp", "mfa"]);
    assert.equal(claimsOf(refreshed.body.access_token).auth_time, signedInAt, "auth_time is the sign-in's, not the refresh's");
    const info = await server.request<{ amr: string[]; auth_time: number }>("GET", "/userinfo", { token: refreshed.body.access_token });
    assert.deepEqual(info.body.amr, ["pwd", "otp", "mfa"]);
    assert.equal(info.body.auth_time, signedInAt);
  });

  test("a TOTP code is accepted once: the same code with a new mfa_token is refused", async () => {
    const u = await enrolled();
    const code = codeNow(u.secret);
    assert.equal((await mfaGrant({ mfa_token: await mfaToken(u.username), otp: code })).status, 200);
    const replay = await mfaGrant({ mfa_token: await mfaToken(u.username), otp: code });
    assert.equal(replay.status, 400);
    assert.equal(replay.body.error, "invalid_grant");
    // Drift: the previous step's code is refused once a later step was used; the next step's works.
    assert.equal((await mfaGrant({ mfa_token: await mfaToken(u.username), otp: codeNow(u.secret, -30_000) })).status, 400);
    assert.equal((await mfaGrant({ mfa_token: await mfaToken(u.username), otp: codeNow(u.secret, 30_000) })).status, 200);
  });

  test("clock drift of one step is accepted, two are not", async () => {
    const u = await enrolled();
    clock.advance(60_000); // two steps past the confirming code's, so neither old step was ever used
    assert.equal((await mfaGrant({ mfa_token: await mfaToken(u.username), otp: codeNow(u.secret, -60_000) })).status, 400);
    assert.equal((await mfaGrant({ mfa_token: await mfaToken(u.username), otp: codeNow(u.secret, -30_000) })).status, 200);
  });

  test("the mfa_token is single use, lives 5 minutes, and belongs to its client", async () => {
    const u = await enrolled();
    const token = await mfaToken(u.username);
    assert.equal((await mfaGrant({ mfa_token: token, otp: codeNow(u.secret) })).status, 200);
    clock.advance(30_000);
    assert.equal((await mfaGrant({ mfa_token: token, otp: codeNow(u.secret) })).status, 400, "spent");

    const expiring = await mfaToken(u.username);
    clock.advance(5 * 60_000 + 1);
    const late = await mfaGrant({ mfa_token: expiring, otp: codeNow(u.secret) });
    assert.equal(late.status, 400, "expired");

    const { client } = await server.tessera.parts.clients.register({ name: "Other app", public: true, firstParty: true, grantTypes: ["password", "refresh_token"] });
    const other = await mfaToken(u.username);
    const wrongClient = await mfaGrant({ mfa_token: other, otp: codeNow(u.secret), client_id: client.id });
    assert.equal(wrongClient.status, 400);
    assert.equal(wrongClient.body.error, "invalid_grant");
    for (const bad of ["", "tmfa_short", `tmfa_${"A".repeat(43)}`, "x".repeat(4000)]) {
      const res = await mfaGrant({ mfa_token: bad, otp: "123456" });
      assert.equal(res.status, 400, bad);
    }
  });

  test("at most 5 codes per mfa_token: after 5 wrong ones the right code is refused", async () => {
    const u = await enrolled();
    const token = await mfaToken(u.username);
    const right = codeNow(u.secret);
    const wrong = right === "000000" ? "111111" : "000000";
    for (let i = 0; i < 5; i++) assert.equal((await mfaGrant({ mfa_token: token, otp: wrong })).status, 400);
    assert.equal((await mfaGrant({ mfa_token: token, otp: right })).status, 400);
    assert.equal((await mfaGrant({ mfa_token: await mfaToken(u.username), otp: right })).status, 200, "the code itself was never spent");
  });

  test("exactly one of otp, recovery_code, webauthn", async () => {
    const u = await enrolled();
    const token = await mfaToken(u.username);
    const none = await mfaGrant({ mfa_token: token });
    assert.equal(none.status, 400);
    assert.equal(none.body.error, "invalid_request");
    const both = await mfaGrant({ mfa_token: token, otp: codeNow(u.secret), recovery_code: u.recovery[0]! });
    assert.equal(both.body.error, "invalid_request");
    assert.equal((await mfaGrant({ mfa_token: token, otp: codeNow(u.secret) })).status, 200, "bad input did not spend an attempt's token");
  });

  test("a recovery code works once; new codes kill the old set", async () => {
    const u = await enrolled();
    const used = await mfaGrant({ mfa_token: await mfaToken(u.username), recovery_code: u.recovery[0]!.toLowerCase() });
    assert.equal(used.status, 200, used.text);
    assert.deepEqual(claimsOf(used.body.access_token).amr, ["pwd", "otp", "mfa"]);
    assert.equal((await mfaGrant({ mfa_token: await mfaToken(u.username), recovery_code: u.recovery[0]! })).status, 400);
    const listed = await server.request<{ recovery_codes_left: number }>("GET", "/auth/factors", { token: used.body.access_token });
    assert.equal(listed.body.recovery_codes_left, 9);

    const fresh = await server.request<{ recovery_codes: string[] }>("POST", "/auth/recovery-codes", { token: used.body.access_token });
    assert.equal(fresh.status, 200, fresh.text);
    assert.equal(fresh.body.recovery_codes.length, 10);
    assert.equal((await mfaGrant({ mfa_token: await mfaToken(u.username), recovery_code: u.recovery[1]! })).status, 400, "the old set is dead");
    assert.equal((await mfaGrant({ mfa_token: await mfaToken(u.username), recovery_code: fresh.body.recovery_codes[0]! })).status, 200);
  });

  test("cookie sessions: /session/login answers mfa_required, /session/mfa finishes it (JSON from an allowed Origin only)", async () => {
    const u = await enrolled();
    const login = await server.request<MfaRequired>("POST", "/session/login", { json: { username: u.username, password: PASSWORD }, headers: { origin } });
    assert.equal(login.status, 403, login.text);
    assert.equal(login.body.error, "mfa_required");
    assert.equal(login.headers.getSetCookie().length, 0, "no cookie before the second step");

    const form = await server.request("POST", "/session/mfa", { form: { mfa_token: login.body.mfa_token, otp: codeNow(u.secret) }, headers: { origin } });
    assert.equal(form.status, 415);
    const foreign = await server.request("POST", "/session/mfa", { json: { mfa_token: login.body.mfa_token, otp: codeNow(u.secret) }, headers: { origin: "https://evil.example" } });
    assert.equal(foreign.status, 403);
    assert.equal(foreign.body.error, "csrf_failed");
    const noOrigin = await server.request("POST", "/session/mfa", { json: { mfa_token: login.body.mfa_token, otp: codeNow(u.secret) } });
    assert.equal(noOrigin.status, 403);

    const done = await server.request<{ csrf_token: string }>("POST", "/session/mfa", { json: { mfa_token: login.body.mfa_token, otp: codeNow(u.secret) }, headers: { origin } });
    assert.equal(done.status, 200, done.text);
    assert.equal(typeof done.body.csrf_token, "string");
    const cookie = done.headers.getSetCookie().find((c) => c.startsWith("__Host-tessera_session="))!.split(";")[0]!;
    const info = await server.request<{ amr: string[]; auth: string }>("GET", "/userinfo", { headers: { cookie } });
    assert.equal(info.body.auth, "cookie");
    assert.deepEqual(info.body.amr, ["pwd", "otp", "mfa"]);
  });

  test("the audit log records enrolment, confirmation, use and failure, never a code", async () => {
    const u = await enrolled();
    const wrong = codeNow(u.secret) === "000000" ? "111111" : "000000";
    await mfaGrant({ mfa_token: await mfaToken(u.username), otp: wrong });
    await mfaGrant({ mfa_token: await mfaToken(u.username), otp: codeNow(u.secret) });
    await server.tessera.parts.audit.flush();
    const rows = await server.tessera.parts.store.queryAuditEvents({ userId: u.userId, limit: 100 });
    const seen = rows.map((r) => `${r.type}:${r.outcome}`);
    for (const want of ["factor:enrolled", "factor:confirmed", "factor:recovery_codes_created", "second_factor:failure", "second_factor:success"]) {
      assert.ok(seen.includes(want), `${want} in ${seen.join(", ")}`);
    }
    const text = JSON.stringify(rows);
    assert.ok(!text.includes(u.secret) && !u.recovery.some((c) => text.includes(c)));
  });
});

describe("step-up", () => {
  test("removing a factor and new recovery codes need a sign-in within 15 minutes (RFC 9470 challenge)", async () => {
    const u = await enrolled();
    const fresh = await mfaGrant({ mfa_token: await mfaToken(u.username), otp: codeNow(u.secret) });
    clock.advance(16 * 60_000);
    // The session is still live (refresh works), but the sign-in is old.
    const refreshed = await server.request<Tokens>("POST", "/oauth/token", { form: { grant_type: "refresh_token", refresh_token: fresh.body.refresh_token } });
    for (const [method, path] of [["DELETE", `/auth/factors/${u.factorId}`], ["POST", "/auth/recovery-codes"]] as const) {
      const res = await server.request(method, path, { token: refreshed.body.access_token });
      assert.equal(res.status, 401, res.text);
      assert.equal(res.body.error, "insufficient_user_authentication");
      assert.match(res.headers.get("www-authenticate") ?? "", /^Bearer realm="tessera", error="insufficient_user_authentication", error_description="[^"]*", max_age=900$/);
    }
    const again = await mfaGrant({ mfa_token: await mfaToken(u.username), otp: codeNow(u.secret) });
    const removed = await server.request("DELETE", `/auth/factors/${u.factorId}`, { token: again.body.access_token });
    assert.equal(removed.status, 204, removed.text);
    const listed = await server.request("GET", "/auth/factors", { token: again.body.access_token });
    assert.deepEqual(listed.body, { factors: [], recovery_codes_left: 0 }, "the last factor takes the recovery codes with it");
    assert.equal((await passwordGrant(u.username)).status, 200, "the password alone signs in again");
  });
});

describe("concurrency: every single-use secret raced 30 ways", () => {
  test("30 uses of one mfa_token with the right code: exactly one signs in", async () => {
    const u = await enrolled();
    const token = await mfaToken(u.username);
    const code = codeNow(u.secret);
    const answers = await Promise.all(Array.from({ length: 30 }, () => mfaGrant({ mfa_token: token, otp: code })));
    assert.equal(answers.filter((a) => a.status === 200).length, 1, answers.map((a) => a.status).join(","));
    assert.ok(answers.every((a) => a.status === 200 || (a.status === 400 && a.body.error === "invalid_grant")));
  });

  test("30 mfa_tokens, one TOTP code: exactly one signs in", async () => {
    const u = await enrolled();
    const tokens = await Promise.all(Array.from({ length: 30 }, () => mfaToken(u.username)));
    const code = codeNow(u.secret);
    const answers = await Promise.all(tokens.map((t) => mfaGrant({ mfa_token: t, otp: code })));
    assert.equal(answers.filter((a) => a.status === 200).length, 1, answers.map((a) => a.status).join(","));
  });

  test("30 mfa_tokens, one recovery code: exactly one signs in", async () => {
    const u = await enrolled();
    const tokens = await Promise.all(Array.from({ length: 30 }, () => mfaToken(u.username)));
    const answers = await Promise.all(tokens.map((t) => mfaGrant({ mfa_token: t, recovery_code: u.recovery[3]! })));
    assert.equal(answers.filter((a) => a.status === 200).length, 1, answers.map((a) => a.status).join(","));
    assert.equal(await server.tessera.parts.store.factors.countRecoveryCodes(u.userId), 9);
  });

  test("30 wrong codes at once on one mfa_token: only 5 are checked", async () => {
    const u = await enrolled();
    const token = await mfaToken(u.username);
    const wrong = codeNow(u.secret) === "000000" ? "111111" : "000000";
    let checks = 0;
    const count = (e: { outcome: string }) => { if (e.outcome === "failure") checks++; };
    server.tessera.parts.events.on("second-factor", count);
    try {
      await Promise.all(Array.from({ length: 30 }, () => mfaGrant({ mfa_token: token, otp: wrong })));
    } finally {
      server.tessera.parts.events.off("second-factor", count);
    }
    assert.equal(checks, 5);
  });
});

describe("the second-factor throttle over HTTP", () => {
  // The test servers run without throttles (every client is 127.0.0.1); this one has the second-factor one at 5.
  let limited: TestServer;
  before(async () => {
    limited = await startTestServer({ clock, config: { throttleSecondFactorAccount: 5 } });
  });
  after(() => limited.close());

  test("/session/mfa: wrong codes past the account's free attempts answer 429 with Retry-After, fresh mfa_tokens or not; the right code waits too", async () => {
    const u = await enrolled(limited);
    const lo = new URL(limited.issuer).origin;
    const wrong = codeNow(u.secret) === "000000" ? "111111" : "000000";
    const answers: Array<{ status: number; retryAfter: string | null; error?: string }> = [];
    for (let i = 0; i < 8; i++) {
      const login = await limited.request<MfaRequired>("POST", "/session/login", { json: { username: u.username, password: PASSWORD }, headers: { origin: lo } });
      assert.equal(login.status, 403, login.text);
      const res = await limited.request<{ error: string }>("POST", "/session/mfa", { json: { mfa_token: login.body.mfa_token, otp: wrong }, headers: { origin: lo } });
      answers.push({ status: res.status, retryAfter: res.headers.get("retry-after"), error: res.body.error });
    }
    // The first ones are checked and refused; once the free failures are spent, 429 before any check.
    assert.ok(answers.slice(0, 5).every((a) => a.status === 400), JSON.stringify(answers));
    const refused = answers.filter((a) => a.status === 429);
    assert.ok(refused.length >= 1 && refused.every((a) => Number(a.retryAfter) >= 1), JSON.stringify(answers));
    assert.equal(answers.at(-1)!.status, 429, JSON.stringify(answers));
    const login = await limited.request<MfaRequired>("POST", "/session/login", { json: { username: u.username, password: PASSWORD }, headers: { origin: lo } });
    const right = await limited.request("POST", "/session/mfa", { json: { mfa_token: login.body.mfa_token, otp: codeNow(u.secret) }, headers: { origin: lo } });
    assert.equal(right.status, 429, "during the backoff the right code is not checked either: no oracle");
    assert.equal(right.headers.getSetCookie().length, 0);
  });

  test("audit: a throttled second step (429) spends nothing of its mfa_token, nor the code", async () => {
    const u = await enrolled(limited);
    const grant = (fields: Record<string, string>) => limited.request<Tokens & { error: string }>("POST", "/oauth/token", { form: { grant_type: MFA, ...fields } });
    const tokenOn = async () => {
      const res = await limited.request<MfaRequired>("POST", "/oauth/token", { form: { grant_type: "password", username: u.username, password: PASSWORD } });
      assert.equal(res.status, 403, res.text);
      return res.body.mfa_token;
    };
    const wrong = codeNow(u.secret) === "000000" ? "111111" : "000000";
    const a = await tokenOn();
    for (let i = 0; i < 5; i++) assert.equal((await grant({ mfa_token: a, otp: wrong })).status, 400);
    // The account is now in backoff. A fresh token and a valid recovery code, five times over:
    const b = await tokenOn();
    const code = u.recovery[0]!;
    let retryAfter = 0;
    for (let i = 0; i < 5; i++) {
      const res = await grant({ mfa_token: b, recovery_code: code });
      assert.deepEqual([res.status, res.body.error], [429, "too_many_requests"], res.text);
      retryAfter = Math.max(retryAfter, Number(res.headers.get("retry-after")));
    }
    assert.ok(retryAfter >= 1);
    const store = limited.tessera.parts.store;
    const row = await store.factors.findLiveMfaToken(sha256(b), clock.now(), 1);
    assert.equal(row?.attempts, 0, "no attempt of the token was taken by a 429");
    assert.equal(await store.factors.countRecoveryCodes(u.userId), 10, "the code was not spent");
    clock.advance(retryAfter * 1000);
    const done = await grant({ mfa_token: b, recovery_code: code });
    assert.equal(done.status, 200, done.text);
    assert.deepEqual(claimsOf(done.body.access_token).amr, ["pwd", "otp", "mfa"]);
  });
});

describe("the second-factor throttle looser than the token's attempts, raced", () => {
  // The account allows 20 failures: only the token's own atomic limit can hold 30 parallel guesses to 5 checks.
  let roomy: TestServer;
  before(async () => {
    roomy = await startTestServer({ clock, config: { throttleSecondFactorAccount: 20 } });
  });
  after(() => roomy.close());

  test("30 wrong codes at once on one mfa_token: 5 checks; the refused ones count against neither the account nor the code", async () => {
    const u = await enrolled(roomy);
    const grant = (fields: Record<string, string>) => roomy.request<Tokens & { error: string }>("POST", "/oauth/token", { form: { grant_type: MFA, ...fields } });
    const tokenOn = async () => (await roomy.request<MfaRequired>("POST", "/oauth/token", { form: { grant_type: "password", username: u.username, password: PASSWORD } })).body.mfa_token;
    const wrong = codeNow(u.secret) === "000000" ? "111111" : "000000";
    const token = await tokenOn();
    const outcomes: string[] = [];
    const record = (e: { outcome: string; userId?: string }) => { if (e.userId === u.userId) outcomes.push(e.outcome); };
    roomy.tessera.parts.events.on("second-factor", record);
    let answers: Array<{ status: number; body: { error: string } }>;
    try {
      answers = await Promise.all(Array.from({ length: 30 }, () => grant({ mfa_token: token, otp: wrong })));
    } finally {
      roomy.tessera.parts.events.off("second-factor", record);
    }
    assert.equal(outcomes.filter((o) => o === "failure").length, 5, outcomes.join(","));
    assert.ok(answers.every((a) => (a.status === 400 && a.body.error === "invalid_grant") || (a.status === 429 && a.body.error === "too_many_requests")), JSON.stringify(answers.map((a) => a.status)));
    // Only the 5 checked codes counted: 15 failures are still free, so the right code on a new token signs in.
    const right = await grant({ mfa_token: await tokenOn(), otp: codeNow(u.secret) });
    assert.equal(right.status, 200, right.text);
  });
});

describe("the otpauth URI of an issuer with a port", () => {
  let ported: TestServer;
  before(async () => {
    ported = await startTestServer({ clock, config: { issuer: "http://localhost:4811" } });
  });
  after(() => ported.close());

  test("the label has one colon, between issuer and account; the issuer keeps its port after a space, the same in issuer=", async () => {
    const user = await ported.signUpAndSignIn(`alice${process.pid}x${++n}`, PASSWORD);
    const started = await ported.request<{ otpauth_uri: string; secret: string }>("POST", "/auth/factors/totp", { token: user.access_token });
    assert.equal(started.status, 200, started.text);
    const uri = started.body.otpauth_uri;
    const label = uri.slice("otpauth://totp/".length, uri.indexOf("?"));
    assert.equal(label, `localhost%204811:${user.username}`);
    assert.doesNotMatch(label.replace(":", ""), /:|%3A/i, "no second separator, literal or encoded");
    assert.equal(new URL(uri).searchParams.get("issuer"), "localhost 4811");
    assert.match(uri, /[?&]issuer=localhost%204811(&|$)/, "a space is %20 (some apps show a + as is)");
    assert.equal(new URL(uri).searchParams.get("secret"), started.body.secret);
  });

  test("with the port picked at listen (PORT=0), the label carries that port, not 0", async () => {
    const user = await server.signUpAndSignIn(`alice${process.pid}x${++n}`, PASSWORD);
    const started = await server.request<{ otpauth_uri: string }>("POST", "/auth/factors/totp", { token: user.access_token });
    const { hostname, port } = new URL(server.issuer);
    assert.notEqual(port, "0");
    assert.equal(new URL(started.body.otpauth_uri).searchParams.get("issuer"), `${hostname} ${port}`);
  });
});

describe("tessera/verify step-up guards (RFC 9470) against real tokens", () => {
  test("requireAmr('mfa') and requireAuthTime(600) answer 401 insufficient_user_authentication with acr_values / max_age", async () => {
    const verifier = createVerifier({ issuer: server.issuer, clock: clock.now });
    const auth = nodeAuth(verifier);
    const guards = { "/pay": requireAmr("mfa"), "/fresh": requireAuthTime(600, { now: clock.now }) };
    const api = createServer(async (req, res) => {
      if (!(await auth(req, res))) return;
      const guard = guards[new URL(req.url ?? "/", "http://x").pathname as keyof typeof guards];
      if (guard && !guard(req, res)) return;
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
    await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(api.address() as { port: number }).port}`;
    const call = (path: string, token: string) => fetch(base + path, { headers: { authorization: `Bearer ${token}` } });
    try {
      const plain = await server.signUpAndSignIn(`guard${process.pid}x${++n}`, PASSWORD);
      const refused = await call("/pay", plain.access_token);
      assert.equal(refused.status, 401);
      assert.match(refused.headers.get("www-authenticate") ?? "", /error="insufficient_user_authentication".*, acr_values="mfa"$/);
      assert.equal((await call("/fresh", plain.access_token)).status, 200);

      const u = await enrolled();
      const strong = await mfaGrant({ mfa_token: await mfaToken(u.username), otp: codeNow(u.secret) });
      assert.equal((await call("/pay", strong.body.access_token)).status, 200);
      clock.advance(11 * 60_000);
      const old = await call("/fresh", strong.body.access_token);
      assert.equal(old.status, 401);
      assert.match(old.headers.get("www-authenticate") ?? "", /error="insufficient_user_authentication".*, max_age=600$/);
    } finally {
      api.close();
      verifier.close?.();
    }
  });
});

describe("admin", () => {
  test("an admin lists a user's factors and resets them: factors and codes gone, every session ended, audited", async () => {
    const u = await enrolled();
    const signedIn = await mfaGrant({ mfa_token: await mfaToken(u.username), otp: codeNow(u.secret) });
    const admin = await signInAdmin(server);
    const listed = await server.request<{ factors: unknown[]; recovery_codes_left: number; username: string }>("GET", `/admin/users/${u.username}/factors`, { token: admin.access_token });
    assert.equal(listed.status, 200, listed.text);
    assert.equal(listed.body.factors.length, 1);
    assert.equal(listed.body.recovery_codes_left, 10);
    const plain = await server.request("POST", `/admin/users/${u.username}/reset-factors`, { token: signedIn.body.access_token });
    assert.equal(plain.status, 403, "not for non-admins");
    const reset = await server.request<{ removed_factors: number; ended_sessions: number }>("POST", `/admin/users/${u.userId}/reset-factors`, { token: admin.access_token });
    assert.equal(reset.status, 200, reset.text);
    assert.equal(reset.body.removed_factors, 1);
    assert.ok(reset.body.ended_sessions >= 2);
    assert.equal((await server.request("GET", "/userinfo", { token: signedIn.body.access_token })).status, 401, "the user's sessions ended");
    assert.equal((await passwordGrant(u.username)).status, 200, "the password alone signs in again");
    await server.tessera.parts.audit.flush();
    const rows = await server.tessera.parts.store.queryAuditEvents({ userId: u.userId, limit: 100 });
    assert.ok(rows.some((r) => r.type === "factor" && r.outcome === "reset" && r.actor === admin.userId));
    assert.ok(rows.some((r) => r.type === "admin_action" && r.detail?.includes("user.reset_factors")));
    const unknown = await server.request("GET", "/admin/users/nobody-at-all/factors", { token: admin.access_token });
    assert.equal(unknown.status, 404);
  });
});

describe("metrics", () => {
  test("second steps are counted by method and outcome", async () => {
    const text = (await server.request("GET", "/metrics")).text;
    assert.match(text, /tessera_second_factor_total\{method="totp",outcome="success"\} [1-9]/);
    assert.match(text, /tessera_second_factor_total\{method="totp",outcome="failure"\} [1-9]/);
    assert.match(text, /tessera_second_factor_total\{method="recovery_code",outcome="success"\} [1-9]/);
  });
});

describe("step-up on the password change", () => {
  test("changing the password needs a sign-in within 15 minutes", async () => {
    const user = await server.signUpAndSignIn(`pwstep${process.pid}x${++n}`, PASSWORD);
    clock.advance(16 * 60_000);
    const refreshed = await server.request<Tokens>("POST", "/oauth/token", { form: { grant_type: "refresh_token", refresh_token: user.refresh_token } });
    const old = await server.request("POST", "/auth/password", { token: refreshed.body.access_token, json: { current_password: PASSWORD, new_password: "a brand new pass phrase" } });
    assert.equal(old.status, 401);
    assert.equal(old.body.error, "insufficient_user_authentication");
    const fresh = await passwordGrant(user.username);
    const ok = await server.request("POST", "/auth/password", { token: fresh.body.access_token, json: { current_password: PASSWORD, new_password: "a brand new pass phrase" } });
    assert.equal(ok.status, 204, ok.text);
  });
});
