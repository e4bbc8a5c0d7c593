// Email flows over a real SMTP server on loopback (docs/email.md): verification,
// password reset, address change, sign-in codes, the pages' GET that never spends,
// enumeration, replay, expiry, cross-purpose tokens, 30 concurrent redemptions, bad input.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestServer, testClock, type TestServer } from "../helpers/server.js";
import { linkToken, mailTo as mailToSink, sixDigitCode, startSmtp, type SmtpSink } from "../helpers/smtp.js";
import { decodeJwtPayload } from "../helpers/tokens.js";
import { base32Decode, totpAt } from "../../src/core/mfa/totp.js";

let smtp: SmtpSink;
let server: TestServer;
const clock = testClock();
const PASSWORD = "correct horse battery staple";
let n = 0;
const unique = (p: string) => `${p}${process.pid}x${++n}`;

before(async () => {
  smtp = await startSmtp();
  server = await startTestServer({ clock, config: { smtpUrl: smtp.url(), mailFrom: "Tessera <no-reply@example.test>", mailPollIntervalMs: 600_000 } });
});
after(async () => {
  await server.close();
  await smtp.close();
});

const mailTo = (address: string, subject: RegExp, seen = 0) => mailToSink(smtp, address, subject, seen);

async function registered(email: string | null, username = unique("u")) {
  const res = await server.request<{ id: string }>("POST", "/auth/register", { json: { username, password: PASSWORD, ...(email ? { email } : {}) } });
  assert.equal(res.status, 201, res.text);
  return { username, id: res.body.id, email };
}

async function signIn(username: string, password = PASSWORD) {
  const res = await server.request<{ access_token: string; refresh_token: string }>("POST", "/oauth/token", { form: { grant_type: "password", username, password } });
  assert.equal(res.status, 200, res.text);
  return res.body;
}

/** A user with a verified address (through the message's link token). */
async function verifiedUser(email = `${unique("v")}@example.test`) {
  const user = await registered(email);
  const token = linkToken(await mailTo(email, /Confirm your email/));
  assert.equal((await server.request("POST", "/auth/email/verify", { json: { token } })).status, 204);
  return { ...user, email };
}

/** Everything asked for so far has reached the outbox and been delivered (or tried). */
async function quiet(): Promise<void> {
  await server.tessera.parts.mail.service.settled();
  await server.tessera.parts.mail.sender.drain();
}

async function outboxFor(address: string) {
  await quiet();
  return (await server.tessera.parts.store.listOutbox({ limit: 10_000 })).filter((m) => m.recipient.toLowerCase() === address.toLowerCase());
}

describe("verification", () => {
  test("registration sends a text+HTML message whose link (token=) and typed code both verify; /userinfo says so", async () => {
    const email = `${unique("Ann")}@Example.TEST`;
    const user = await registered(email);
    const mail = await mailTo(email, /Confirm your email/);
    assert.ok(mail.text && mail.html, "a text part and an HTML part");
    assert.match(mail.messageId ?? "", /^<[0-9a-f-]{36}@127\.0\.0\.1>$/);
    const token = linkToken(mail);
    assert.match(mail.text!, new RegExp(`${server.issuer}/email/verify\\?token=${token}`));
    assert.ok(String(mail.html).includes(`token=${token}`));
    const grouped = /type this code on that page: ([0-9A-Z-]+)/.exec(mail.text!)![1]!;
    const { access_token } = await signIn(user.username);
    assert.equal((await server.request<{ email_verified: boolean }>("GET", "/userinfo", { token: access_token })).body.email_verified, false);
    // Typed by hand: grouped, lower-case.
    const res = await server.request("POST", "/auth/email/verify", { json: { token: grouped.toLowerCase() } });
    assert.equal(res.status, 204, res.text);
    const info = await server.request<{ email_verified: boolean; email: string }>("GET", "/userinfo", { token: access_token });
    assert.equal(info.body.email_verified, true);
    assert.equal(info.body.email, email);
  });

  test("opening the link (GET, as a mail scanner does) shows a page and spends nothing; a replay of the spent token is refused", async () => {
    const email = `${unique("scan")}@example.test`;
    await registered(email);
    const token = linkToken(await mailTo(email, /Confirm your email/));
    for (let i = 0; i < 3; i++) {
      const page = await server.request("GET", `/email/verify?token=${token}`);
      assert.equal(page.status, 200);
      assert.match(page.headers.get("content-security-policy") ?? "", /default-src 'none'/);
      assert.equal(page.headers.get("referrer-policy"), "same-origin");
      assert.match(page.text, /<button type="submit">Confirm my address<\/button>/);
    }
    assert.equal((await server.request("POST", "/auth/email/verify", { json: { token } })).status, 204);
    const replay = await server.request<{ error: string }>("POST", "/auth/email/verify", { json: { token } });
    assert.equal(replay.status, 400);
    assert.equal(replay.body.error, "invalid_grant");
    assert.equal((await server.request("GET", `/email/verify?token=${token}`)).status, 400, "the page says the spent link does not work");
  });

  test("30 concurrent redemptions of one verification token: exactly one wins", async () => {
    const email = `${unique("race")}@example.test`;
    await registered(email);
    const token = linkToken(await mailTo(email, /Confirm your email/));
    const answers = await Promise.all(Array.from({ length: 30 }, () => server.request("POST", "/auth/email/verify", { json: { token } })));
    assert.equal(answers.filter((a) => a.status === 204).length, 1);
    assert.ok(answers.every((a) => a.status === 204 || a.status === 400));
  });

  test("resend past the per-address send throttle answers 429 with Retry-After, and no message goes out for it", async () => {
    // The shared test server runs without throttles (every client is 127.0.0.1): this one sends 2 per address.
    const limited = await startTestServer({ clock, config: { smtpUrl: smtp.url(), mailFrom: "Tessera <no-reply@example.test>", mailPollIntervalMs: 600_000, throttleEmailSendAddress: 2 } });
    try {
      const email = `${unique("throttled")}@example.test`;
      const username = unique("t");
      assert.equal((await limited.request("POST", "/auth/register", { json: { username, password: PASSWORD, email } })).status, 201);
      const signedIn = await limited.request<{ access_token: string }>("POST", "/oauth/token", { form: { grant_type: "password", username, password: PASSWORD } });
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 4; i++) {
        const res = await limited.request("POST", "/auth/email/verify/send", { token: signedIn.body.access_token });
        statuses.push(res.status);
        if (res.status === 429) retryAfter = res.headers.get("retry-after");
      }
      // Two resends to the address, then 429 (the registration's own message is not a request anyone can repeat).
      assert.deepEqual(statuses, [202, 202, 429, 429]);
      assert.ok(Number(retryAfter) >= 1);
      await limited.tessera.parts.mail.service.settled();
      await limited.tessera.parts.mail.sender.drain();
      const queued = (await limited.tessera.parts.store.listOutbox({ limit: 1000 })).filter((m) => m.recipient === email);
      assert.equal(queued.length, 3, "the registration's message and the two resends allowed, none for the refused ones");
    } finally {
      await limited.close();
    }
  });

  test("resend (signed in) replaces the earlier token; an expired token is refused (injected clock)", async () => {
    const email = `${unique("resend")}@example.test`;
    const user = await registered(email);
    const first = linkToken(await mailTo(email, /Confirm your email/));
    const { access_token } = await signIn(user.username);
    assert.equal((await server.request("POST", "/auth/email/verify/send", { token: access_token })).status, 202);
    const second = linkToken(await mailTo(email, /Confirm your email/, 1));
    assert.notEqual(first, second);
    assert.equal((await server.request("POST", "/auth/email/verify", { json: { token: first } })).status, 400, "the older token died");
    clock.advance(server.tessera.config.emailVerifyTtlSeconds * 1000 + 1);
    assert.equal((await server.request("POST", "/auth/email/verify", { json: { token: second } })).status, 400, "expired");
  });

  test("verified addresses are unique in their normal form: the second verification is 409 email_taken", async () => {
    const email = `${unique("dup")}@example.test`;
    await verifiedUser(email);
    const other = email.toUpperCase().replace("EXAMPLE.TEST", "Example.Test");
    await registered(other);
    const token = linkToken(await mailTo(email, /Confirm your email/, 1));
    const res = await server.request<{ error: string }>("POST", "/auth/email/verify", { json: { token } });
    assert.equal(res.status, 409);
    assert.equal(res.body.error, "email_taken");
  });
});

describe("password reset", () => {
  test("forgot by email or username: 202 with the same body as for unknown accounts; the link resets once and ends every session", async () => {
    const user = await verifiedUser();
    const session = await signIn(user.username);
    const known = await server.request("POST", "/auth/password/forgot", { json: { email: user.email } });
    const unknown = await server.request("POST", "/auth/password/forgot", { json: { email: `${unique("nobody")}@example.test` } });
    const unknownName = await server.request("POST", "/auth/password/forgot", { json: { username: unique("nobody") } });
    for (const res of [known, unknown, unknownName]) {
      assert.equal(res.status, 202);
      assert.equal(res.text, known.text);
      assert.equal(res.headers.get("content-length"), known.headers.get("content-length"));
    }
    const token = linkToken(await mailTo(user.email, /Reset your password/));
    assert.match((await mailTo(user.email, /Reset your password/)).text!, new RegExp(`${server.issuer}/password/reset\\?token=`));
    // The page's GET spends nothing.
    assert.equal((await server.request("GET", `/password/reset?token=${token}`)).status, 200);
    const reset = await server.request("POST", "/auth/password/reset", { json: { reset_token: token, new_password: "a brand new passphrase" } });
    assert.equal(reset.status, 204, reset.text);
    const refresh = await server.request<{ error: string }>("POST", "/oauth/token", { form: { grant_type: "refresh_token", refresh_token: session.refresh_token } });
    assert.equal(refresh.body.error, "invalid_grant", "every session ended");
    assert.equal((await server.request("POST", "/auth/password/reset", { json: { reset_token: token, new_password: "another new passphrase" } })).status, 400, "single use");
    // The verified address signs in where a username is accepted.
    await signIn(user.email.toUpperCase(), "a brand new passphrase");
    // By username too.
    assert.equal((await server.request("POST", "/auth/password/forgot", { json: { username: user.username } })).status, 202);
    await mailTo(user.email, /Reset your password/, 1);
  });

  test("no reset goes to an unverified address, and unknown accounts get no message", async () => {
    const email = `${unique("unverified")}@example.test`;
    const user = await registered(email);
    await mailTo(email, /Confirm/);
    await server.request("POST", "/auth/password/forgot", { json: { email } });
    await server.request("POST", "/auth/password/forgot", { json: { username: user.username } });
    const nobody = `${unique("nobody")}@example.test`;
    await server.request("POST", "/auth/password/forgot", { json: { email: nobody } });
    assert.deepEqual((await outboxFor(email)).map((m) => m.kind), ["verify"]);
    assert.equal((await outboxFor(nobody)).length, 0);
  });

  test("30 concurrent resets with one token: exactly one wins", async () => {
    const user = await verifiedUser();
    await server.request("POST", "/auth/password/forgot", { json: { email: user.email } });
    const token = linkToken(await mailTo(user.email, /Reset your password/));
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => server.request("POST", "/auth/password/reset", { json: { reset_token: token, new_password: `new passphrase number ${i}` } })));
    assert.equal(answers.filter((a) => a.status === 204).length, 1);
  });

  test("tokens are bound to their purpose: a verification token cannot reset, a reset token cannot verify; expired resets are refused", async () => {
    const email = `${unique("cross")}@example.test`;
    await registered(email);
    const verifyToken = linkToken(await mailTo(email, /Confirm your email/));
    assert.equal((await server.request("POST", "/auth/password/reset", { json: { reset_token: verifyToken, new_password: "some new passphrase" } })).status, 400);
    assert.equal((await server.request("POST", "/auth/email/verify", { json: { token: verifyToken } })).status, 204, "still unspent");
    await server.request("POST", "/auth/password/forgot", { json: { email } });
    const resetToken = linkToken(await mailTo(email, /Reset your password/));
    assert.equal((await server.request("POST", "/auth/email/verify", { json: { token: resetToken } })).status, 400);
    clock.advance(server.tessera.config.emailResetTtlSeconds * 1000 + 1);
    assert.equal((await server.request("POST", "/auth/password/reset", { json: { reset_token: resetToken, new_password: "some new passphrase" } })).status, 400);
  });
});

describe("address change", () => {
  test("needs the password; then a verification to the new address and a notice to the old; the address changes once verified", async () => {
    const user = await verifiedUser();
    const { access_token } = await signIn(user.username);
    const next = `${unique("next")}@example.test`;
    const wrong = await server.request<{ error: string }>("POST", "/auth/email", { token: access_token, json: { email: next, password: "not my password" } });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.error, "invalid_credentials");
    assert.equal((await server.request("POST", "/auth/email", { token: access_token, json: { email: next, password: PASSWORD } })).status, 202);
    const notice = await mailTo(user.email, /being changed/);
    assert.ok(notice.text!.includes(next));
    assert.doesNotMatch(notice.text!, /token=/, "the notice carries no token");
    const token = linkToken(await mailTo(next, /Confirm your new email/));
    assert.equal((await server.request<{ email: string }>("GET", "/userinfo", { token: access_token })).body.email, user.email, "not yet");
    assert.equal((await server.request("POST", "/auth/email/verify", { json: { token } })).status, 204);
    const info = await server.request<{ email: string; email_verified: boolean }>("GET", "/userinfo", { token: access_token });
    assert.deepEqual([info.body.email, info.body.email_verified], [next, true]);
    // A reset sent to the old address no longer works once the address changed.
  });
});

describe("sign-in codes", () => {
  test("send is 202 for every address; the code signs in over the token endpoint with amr otp, once", async () => {
    const user = await verifiedUser();
    const known = await server.request("POST", "/auth/otp/send", { json: { email: user.email } });
    const unknown = await server.request("POST", "/auth/otp/send", { json: { email: `${unique("nobody")}@example.test` } });
    assert.deepEqual([known.status, known.text], [unknown.status, unknown.text]);
    assert.equal(known.status, 202);
    const code = sixDigitCode(await mailTo(user.email, /sign-in code/));
    const form = { grant_type: "urn:tessera:params:oauth:grant-type:email-otp", email: user.email, code };
    const res = await server.request<{ access_token: string; refresh_token: string }>("POST", "/oauth/token", { form });
    assert.equal(res.status, 200, res.text);
    const claims = decodeJwtPayload(res.body.access_token) as { sub: string; amr?: string[] };
    assert.deepEqual([claims.sub, claims.amr], [user.id, ["otp"]]);
    const again = await server.request<{ error: string }>("POST", "/oauth/token", { form });
    assert.deepEqual([again.status, again.body.error], [400, "invalid_grant"]);
  });

  test("a user with a second factor is asked for it after the code (mfa_required), over the token endpoint and cookie sessions", async () => {
    const user = await verifiedUser();
    const session = await signIn(user.username);
    const started = await server.request<{ factor_id: string; secret: string }>("POST", "/auth/factors/totp", { token: session.access_token, json: { name: "Phone" } });
    const totp = (offset = 0) => totpAt(base32Decode(started.body.secret), clock.now() + offset);
    assert.equal((await server.request("POST", "/auth/factors/totp/confirm", { token: session.access_token, json: { factor_id: started.body.factor_id, code: totp() } })).status, 200);
    clock.advance(30_000); // the confirming code's step is spent

    await server.request("POST", "/auth/otp/send", { json: { email: user.email } });
    const code = sixDigitCode(await mailTo(user.email, /sign-in code/));
    const first = await server.request<{ error: string; mfa_token: string; methods: string[]; access_token?: string }>("POST", "/oauth/token", {
      form: { grant_type: "urn:tessera:params:oauth:grant-type:email-otp", email: user.email, code },
    });
    assert.equal(first.status, 403, first.text);
    assert.equal(first.body.error, "mfa_required");
    assert.equal(first.body.access_token, undefined, "no token before the second step");
    assert.ok(first.body.methods.includes("totp"));
    const done = await server.request<{ access_token: string }>("POST", "/oauth/token", {
      form: { grant_type: "urn:tessera:params:oauth:grant-type:mfa", mfa_token: first.body.mfa_token, otp: totp() },
    });
    assert.equal(done.status, 200, done.text);
    const claims = decodeJwtPayload(done.body.access_token) as { sub: string; amr: string[] };
    assert.equal(claims.sub, user.id);
    assert.deepEqual([...claims.amr].sort(), ["mfa", "otp"], "the emailed code and the app's code, both one-time passwords");

    // The cookie twin: POST /session/otp answers mfa_required too, and sets no session cookie.
    clock.advance(30_000);
    await server.request("POST", "/auth/otp/send", { json: { email: user.email } });
    const cookieCode = sixDigitCode(await mailTo(user.email, /sign-in code/, 1));
    const cookie = await server.request<{ error: string; mfa_token: string }>("POST", "/session/otp", {
      json: { email: user.email, code: cookieCode }, headers: { origin: server.issuer },
    });
    assert.equal(cookie.status, 403, cookie.text);
    assert.equal(cookie.body.error, "mfa_required");
    assert.equal(cookie.headers.get("set-cookie"), null);
  });

  test("wrong guesses are counted on the code before the comparison: after the limit, even the right code fails", async () => {
    const user = await verifiedUser();
    await server.request("POST", "/auth/otp/send", { json: { email: user.email } });
    const code = sixDigitCode(await mailTo(user.email, /sign-in code/));
    const wrong = code === "000000" ? "111111" : "000000";
    const grant = "urn:tessera:params:oauth:grant-type:email-otp";
    const guesses = await Promise.all(Array.from({ length: 30 }, () => server.request("POST", "/oauth/token", { form: { grant_type: grant, email: user.email, code: wrong } })));
    assert.ok(guesses.every((g) => g.status === 400));
    const right = await server.request("POST", "/oauth/token", { form: { grant_type: grant, email: user.email, code } });
    assert.equal(right.status, 400, "the code died after its attempts");
  });

  test("30 concurrent sign-ins with the right code: exactly one session", async () => {
    const user = await verifiedUser();
    await server.request("POST", "/auth/otp/send", { json: { email: user.email } });
    const code = sixDigitCode(await mailTo(user.email, /sign-in code/));
    const form = { grant_type: "urn:tessera:params:oauth:grant-type:email-otp", email: user.email, code };
    const answers = await Promise.all(Array.from({ length: 30 }, () => server.request("POST", "/oauth/token", { form })));
    assert.equal(answers.filter((a) => a.status === 200).length, 1);
  });

  test("POST /session/otp gives a cookie session; JSON only and an allowed Origin", async () => {
    const user = await verifiedUser();
    await server.request("POST", "/auth/otp/send", { json: { email: user.email } });
    const code = sixDigitCode(await mailTo(user.email, /sign-in code/));
    const evil = await server.request<{ error: string }>("POST", "/session/otp", { headers: { origin: "https://evil.example" }, json: { email: user.email, code } });
    assert.deepEqual([evil.status, evil.body.error], [403, "csrf_failed"]);
    const form = await server.request<{ error: string }>("POST", "/session/otp", { form: { email: user.email, code } });
    assert.deepEqual([form.status, form.body.error], [415, "unsupported_media_type"]);
    const res = await server.request<{ csrf_token: string }>("POST", "/session/otp", { headers: { origin: server.issuer }, json: { email: user.email, code } });
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers.get("set-cookie") ?? "", /__Host-tessera_session=/);
  });
});

describe("bad input: a 4xx with a stable code, never a 500, never a message", () => {
  const bad = ["not-an-address", "a@b", "a b@example.test", "ann@example.test\r\nBcc: victim@example.test", "Ann <ann@example.test>", "ann@exa\nmple.test",
    "ann@example.test\u0000", "\u202eann@example.test", `${"a".repeat(65)}@example.test`, `ann@${"a".repeat(300)}.test`, "ann@@example.test", ".ann@example.test"];

  test("malformed and header-injecting addresses on every route", async () => {
    const user = await verifiedUser();
    const { access_token } = await signIn(user.username);
    const before = (await server.tessera.parts.store.listOutbox({ limit: 10_000 })).length;
    for (const email of bad) {
      const answers = await Promise.all([
        server.request<{ error: string }>("POST", "/auth/register", { json: { username: unique("bad"), password: PASSWORD, email } }),
        server.request<{ error: string }>("POST", "/auth/password/forgot", { json: { email } }),
        server.request<{ error: string }>("POST", "/auth/otp/send", { json: { email } }),
        server.request<{ error: string }>("POST", "/auth/email", { token: access_token, json: { email, password: PASSWORD } }),
      ]);
      for (const a of answers) {
        assert.equal(a.status, 400, `${JSON.stringify(email)}: ${a.text}`);
        assert.equal(a.body.error, "invalid_request");
      }
    }
    await quiet();
    assert.equal((await server.tessera.parts.store.listOutbox({ limit: 10_000 })).length, before, "no message written");
  });

  test("oversized and mistyped fields", async () => {
    const cases: Array<[string, unknown]> = [
      ["/auth/password/forgot", { email: `${"a".repeat(400)}@example.test` }],
      ["/auth/password/forgot", { username: "x".repeat(300) }],
      ["/auth/password/forgot", { email: "a@example.test", username: "both" }],
      ["/auth/password/forgot", {}],
      ["/auth/password/forgot", { email: 42 }],
      ["/auth/otp/send", { email: ["a@example.test"] }],
      ["/auth/email/verify", { token: "A".repeat(100) }],
      ["/auth/email/verify", { token: null }],
    ];
    for (const [path, json] of cases) {
      const res = await server.request<{ error: string }>("POST", path, { json });
      assert.equal(res.status, 400, `${path} ${JSON.stringify(json).slice(0, 60)}: ${res.text}`);
      assert.equal(res.body.error, "invalid_request");
    }
    const grant = await server.request<{ error: string }>("POST", "/oauth/token", { form: { grant_type: "urn:tessera:params:oauth:grant-type:email-otp", email: "a@example.test", code: "1".repeat(40) } });
    assert.equal(grant.status, 400);
    const form = await server.request<{ error: string }>("POST", "/auth/password/forgot", { form: { email: "a@example.test" } });
    assert.deepEqual([form.status, form.body.error], [415, "unsupported_media_type"], "no cross-site form can ask for mail");
  });
});

test("the audit log records requests (no_account for unknown addresses), verifications and deliveries, and never a token or code", async () => {
  await quiet();
  const rows = await server.tessera.parts.audit.query({ limit: 10_000, types: ["email_requested", "email_verified", "email_delivery"] });
  const kinds = new Set(rows.map((r) => `${r.type}:${r.outcome}`));
  for (const k of ["email_requested:success", "email_requested:no_account", "email_verified:success", "email_delivery:sent"]) assert.ok(kinds.has(k), k);
  const dump = JSON.stringify(await server.tessera.parts.store.queryAuditEvents({ limit: 100_000 }));
  const secrets = smtp.messages.flatMap((m) => [/token=([0-9A-Z]{26})/.exec(m.text ?? "")?.[1], /code is (\d{6})/.exec(m.text ?? "")?.[1]]).filter((s): s is string => Boolean(s));
  assert.ok(secrets.length > 10, "control: secrets were sent");
  for (const secret of secrets) assert.ok(!dump.includes(secret), "no token or code in the audit log");
  const outbox = JSON.stringify(await server.tessera.parts.store.listOutbox({ limit: 10_000 }));
  for (const secret of secrets) assert.ok(!outbox.includes(secret), "the outbox holds them sealed only");
});
