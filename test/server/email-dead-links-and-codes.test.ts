// Regressions from the email audit (docs/email.md): the reset page says at once that a dead
// link is dead (its GET looks, never spends); a refused sign-in code gets one message that fits
// a code, the same for every failure and every address; a code pasted with spaces or dashes is
// the code, not a wrong guess; the default From address is the one the docs give.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { signInAdmin } from "../helpers/admin.js";
import { startTestServer, testClock, type TestServer } from "../helpers/server.js";
import { linkToken, mailTo as mailToSink, sixDigitCode, startSmtp, type SmtpSink } from "../helpers/smtp.js";

let smtp: SmtpSink;
let server: TestServer;
const clock = testClock();
const PASSWORD = "correct horse battery staple";
const CODE_GRANT = "urn:tessera:params:oauth:grant-type:email-otp";
const REFUSED = { error: "invalid_grant", error_description: "The code is incorrect or expired." };
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

async function verifiedUser() {
  const email = `${unique("v")}@example.test`;
  const username = unique("u");
  assert.equal((await server.request("POST", "/auth/register", { json: { username, password: PASSWORD, email } })).status, 201);
  const token = linkToken(await mailTo(email, /Confirm your email/));
  assert.equal((await server.request("POST", "/auth/email/verify", { json: { token } })).status, 204);
  return { username, email };
}

async function resetToken(email: string, seen = 0): Promise<string> {
  assert.equal((await server.request("POST", "/auth/password/forgot", { json: { email } })).status, 202);
  return linkToken(await mailTo(email, /Reset your password/, seen));
}

async function sentCode(email: string, seen = 0): Promise<string> {
  assert.equal((await server.request("POST", "/auth/otp/send", { json: { email } })).status, 202);
  return sixDigitCode(await mailTo(email, /sign-in code/, seen));
}

const withCode = (email: string, code: string) => server.request<Record<string, string>>("POST", "/oauth/token", { form: { grant_type: CODE_GRANT, email, code } });
const withCodeCookie = (email: string, code: string) => server.request<Record<string, string>>("POST", "/session/otp", { headers: { origin: server.issuer }, json: { email, code } });
const otherThan = (code: string) => (code === "000000" ? "111111" : "000000");

describe("GET /password/reset checks the token without spending it", () => {
  async function resetPage(token: string) {
    const res = await server.request("GET", `/password/reset?token=${encodeURIComponent(token)}`);
    assert.equal(res.headers.get("cache-control"), "no-store");
    assert.match(res.headers.get("content-security-policy") ?? "", /default-src 'none'/);
    return res;
  }
  function assertDead(res: { status: number; text: string }, what: string) {
    assert.equal(res.status, 400, what);
    assert.match(res.text, /<h1>This link does not work<\/h1>/, what);
    assert.match(res.text, /<p role="alert">It is invalid, expired or already used\. Ask for a new reset message\.<\/p>/, what);
    assert.doesNotMatch(res.text, /new_password|<form/, `${what}: no form to type a password into`);
  }

  test("garbage, never-issued and wrong-purpose tokens get the dead-link page (400), like /email/verify", async () => {
    const verify = await server.request("GET", "/email/verify?token=garbage");
    assert.equal(verify.status, 400);
    assert.match(verify.text, /<h1>This link does not work<\/h1>/);
    for (const token of ["garbage", "0".repeat(26), "ABCDE-FGHJK-MNPQR-STVWX-YZ012-3", `tsp_${"A".repeat(43)}`, "tsp_", "ü".repeat(30), "<script>"]) {
      assertDead(await resetPage(token), JSON.stringify(token));
    }
    // A live verification token is not a reset token.
    const email = `${unique("p")}@example.test`;
    assert.equal((await server.request("POST", "/auth/register", { json: { username: unique("u"), password: PASSWORD, email } })).status, 201);
    assertDead(await resetPage(linkToken(await mailTo(email, /Confirm your email/))), "a verification token");
    // Typed by hand without a token: still the form that asks for the code.
    const blank = await resetPage("");
    assert.equal(blank.status, 200);
    assert.match(blank.text, /Code from your message/);
  });

  test("a live token gets the form, as often as it is opened, and the GETs spent nothing; once used, the page says so", async () => {
    const user = await verifiedUser();
    const token = await resetToken(user.email);
    for (const typed of [token, token.toLowerCase(), token.match(/.{1,5}/g)!.join("-")]) {
      const res = await resetPage(typed);
      assert.equal(res.status, 200, res.text);
      assert.match(res.text, /<h1>Set a new password<\/h1>/);
      assert.match(res.text, /<button type="submit">Set my new password<\/button>/);
    }
    const reset = await server.request("POST", "/auth/password/reset", { json: { reset_token: token, new_password: "a brand new passphrase" } });
    assert.equal(reset.status, 204, `the GETs did not spend the token: ${reset.text}`);
    assertDead(await resetPage(token), "a used token");
  });

  test("the page's POST with two different passwords: 'they differ' for a live link, the dead-link page for a used one", async () => {
    const user = await verifiedUser();
    const token = await resetToken(user.email);
    const live = await resetPage(token);
    const formToken = /name="form_token" value="([^"]+)"/.exec(live.text)?.[1];
    assert.ok(formToken, "the form carries its token");
    const post = () => server.request("POST", "/password/reset", {
      headers: { origin: server.url }, form: { token, form_token: formToken, new_password: "one long passphrase", new_password_again: "another long passphrase" },
    });
    const differ = await post();
    assert.equal(differ.status, 400);
    assert.match(differ.text, /The two passwords differ\./);
    assert.equal((await server.request("POST", "/auth/password/reset", { json: { reset_token: token, new_password: "a brand new passphrase" } })).status, 204, "the mismatch spent nothing");
    assertDead(await post(), "a used token with two different passwords");
  });

  test("an expired token (injected clock) gets the dead-link page; a second of life left still gets the form", async () => {
    const user = await verifiedUser();
    const token = await resetToken(user.email);
    const ttl = server.tessera.config.emailResetTtlSeconds * 1000;
    clock.advance(ttl - 1000);
    assert.equal((await resetPage(token)).status, 200, "still live");
    clock.advance(1000);
    assertDead(await resetPage(token), "expired");
    assert.equal((await server.request("POST", "/auth/password/reset", { json: { reset_token: token, new_password: "a brand new passphrase" } })).status, 400, "and refused by the API");
  });

  test("a reset sent to an address the user no longer has is dead on the page too", async () => {
    const user = await verifiedUser();
    const token = await resetToken(user.email);
    const session = await server.request<{ access_token: string }>("POST", "/oauth/token", { form: { grant_type: "password", username: user.username, password: PASSWORD } });
    const next = `${unique("next")}@example.test`;
    assert.equal((await server.request("POST", "/auth/email", { token: session.body.access_token, json: { email: next, password: PASSWORD } })).status, 202);
    assert.equal((await resetPage(token)).status, 200, "not yet changed");
    assert.equal((await server.request("POST", "/auth/email/verify", { json: { token: linkToken(await mailTo(next, /Confirm your new email/)) } })).status, 204);
    assertDead(await resetPage(token), "the address changed");
    assert.equal((await server.request("POST", "/auth/password/reset", { json: { reset_token: token, new_password: "a brand new passphrase" } })).status, 400);
  });

  test("an admin's tsp_ reset token opens the form too, and stays live", async () => {
    const admin = await signInAdmin(server);
    const username = unique("forced");
    await server.tessera.parts.admin.users.create({ username, password: PASSWORD, roles: ["user"] }, { id: "test" });
    const issued = await server.request<{ reset_token: string }>("POST", `/admin/users/${username}/reset-password`, { token: admin.access_token });
    assert.equal(issued.status, 200, issued.text);
    assert.equal((await resetPage(issued.body.reset_token)).status, 200);
    assert.equal((await server.request("POST", "/auth/password/reset", { json: { reset_token: issued.body.reset_token, new_password: "a brand new passphrase" } })).status, 204);
    assertDead(await resetPage(issued.body.reset_token), "a used admin token");
  });
});

describe("a refused sign-in code: invalid_grant with one message that fits a code", () => {
  test("wrong, expired, used, worn-out and malformed codes and unknown or unverified addresses all get the same answer, on both paths", async () => {
    const user = await verifiedUser();
    const answers: Array<[string, { status: number; body: unknown }]> = [];
    const both = async (what: string, email: string, code: string) => {
      answers.push([`${what} (token endpoint)`, await withCode(email, code)], [`${what} (cookie)`, await withCodeCookie(email, code)]);
    };
    const code = await sentCode(user.email);
    await both("wrong code", user.email, otherThan(code));
    await both("unknown address", `${unique("nobody")}@example.test`, code);
    await both("malformed code", user.email, "12345");
    await both("letters", user.email, "abcdef");
    await both("malformed address", "not-an-address", code);
    const unverified = `${unique("unverified")}@example.test`;
    assert.equal((await server.request("POST", "/auth/register", { json: { username: unique("u"), password: PASSWORD, email: unverified } })).status, 201);
    await both("unverified address", unverified, code);
    assert.equal((await withCode(user.email, code)).status, 200, "control: the code was still good");
    await both("used code", user.email, code);
    const expiring = await sentCode(user.email, 1);
    clock.advance(server.tessera.config.emailCodeTtlSeconds * 1000 + 1);
    await both("expired code", user.email, expiring);
    const wornOut = await sentCode(user.email, 2);
    for (let i = 0; i < server.tessera.config.emailCodeMaxAttempts; i++) assert.equal((await withCode(user.email, otherThan(wornOut))).status, 400);
    await both("right code after its attempts", user.email, wornOut);
    for (const [what, res] of answers) assert.deepEqual([res.status, res.body], [400, REFUSED], what);
  });

  test("the password grant keeps its own message", async () => {
    const user = await verifiedUser();
    const res = await server.request("POST", "/oauth/token", { form: { grant_type: "password", username: user.username, password: "not the password" } });
    assert.deepEqual([res.status, res.body], [400, { error: "invalid_grant", error_description: "The username or password is incorrect." }]);
  });
});

describe("a code typed with spaces or dashes is the code", () => {
  test("a spaced or dashed code signs in with the last attempt left, so it took no attempt as a wrong guess first", async () => {
    const user = await verifiedUser();
    const max = server.tessera.config.emailCodeMaxAttempts;
    const shapes: Array<(c: string) => string> = [
      (c) => ` ${c} `,
      (c) => `${c.slice(0, 3)} ${c.slice(3)}`,
      (c) => `${c.slice(0, 3)}-${c.slice(3)}`,
      (c) => `\t${c.split("").join(" ")}\n`,
      (c) => `${c.slice(0, 3)}\u00a0${c.slice(3)}`, // a no-break space, as some mail clients copy it
      (c) => c.replace(/\d/g, (d) => String.fromCharCode(0xff10 + Number(d))), // full-width digits (NFKC)
    ];
    for (const [i, shape] of shapes.entries()) {
      const code = await sentCode(user.email, i);
      for (let k = 0; k < max - 1; k++) assert.deepEqual((await withCode(user.email, otherThan(code))).body, REFUSED);
      const typed = shape(code);
      // One attempt is left: had the typed form counted as a wrong guess, the right code would die with it.
      const res = i % 2 === 0 ? await withCode(user.email, typed) : await withCodeCookie(user.email, typed);
      assert.equal(res.status, 200, `${JSON.stringify(typed)}: ${JSON.stringify(res.body)}`);
    }
  });

  test("malformed codes take no attempt; a spaced wrong code counts like any wrong code", async () => {
    const user = await verifiedUser();
    const max = server.tessera.config.emailCodeMaxAttempts;
    const code = await sentCode(user.email);
    for (const bad of ["", "12345", "1234567", "abcdef", "12 34 5", "--", "½23456", "1".repeat(16)]) {
      for (let k = 0; k < max; k++) assert.deepEqual([(await withCode(user.email, bad)).status], [400], JSON.stringify(bad));
    }
    assert.equal((await withCode(user.email, code)).status, 200, "the malformed guesses took none of the code's attempts");
    const next = await sentCode(user.email, 1);
    const wrong = otherThan(next);
    for (let k = 0; k < max; k++) assert.deepEqual((await withCode(user.email, `${wrong.slice(0, 3)} ${wrong.slice(3)}`)).body, REFUSED);
    assert.deepEqual((await withCode(user.email, next)).body, REFUSED, "the spaced wrong guesses used the attempts up");
  });
});

describe("the default From address (no TESSERA_MAIL_FROM, .eml files)", () => {
  async function fromHeader(issuer: string): Promise<string> {
    const dev = await startTestServer({ config: { issuer } });
    try {
      const email = `${unique("from")}@example.test`;
      assert.equal((await dev.request("POST", "/auth/register", { json: { username: unique("u"), password: PASSWORD, email } })).status, 201);
      await dev.tessera.parts.mail.sender.drain();
      const folder = join(dev.dataDir, "mail");
      const raw = readdirSync(folder).map((f) => readFileSync(join(folder, f), "utf8")).find((m) => m.includes(email));
      assert.ok(raw, "the message was written");
      return /^From: (.*)$/m.exec(raw)![1]!.trim();
    } finally {
      await dev.close();
    }
  }

  test("no-reply@ the issuer's host, and .localdomain added to a host without a dot (localhost)", async () => {
    assert.equal(await fromHeader("http://localhost:0"), "Tessera <no-reply@localhost.localdomain>");
    assert.equal(await fromHeader("https://auth.example.test"), "Tessera <no-reply@auth.example.test>");
  });

  test("an IP issuer names no mail domain: localhost.localdomain, for IPv4 and IPv6 alike", async () => {
    assert.equal(await fromHeader("http://127.0.0.1:0"), "Tessera <no-reply@localhost.localdomain>");
    assert.equal(await fromHeader("http://[::1]:0"), "Tessera <no-reply@localhost.localdomain>");
  });
});
