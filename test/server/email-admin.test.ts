// Email settings and admin acts (docs/email.md): sends throttled per address and
// per IP (reserved before the message is written), a verified address required
// before sign-in, templates from a folder, an admin's resend and mark-verified
// (API and CLI, audited), and the failed-message listing of the CLI.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { main } from "../../src/cli/main.js";
import { signIn } from "../helpers/admin.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { linkToken, sixDigitCode, startSmtp, to, type SmtpSink } from "../helpers/smtp.js";

const PASSWORD = "correct horse battery staple";
let smtp: SmtpSink;
let server: TestServer;
const templates = mkdtempSync(join(tmpdir(), "tessera-templates-"));

before(async () => {
  writeFileSync(join(templates, "otp.subject.txt"), "Acme code {{code}}\n");
  writeFileSync(join(templates, "otp.txt"), "Your Acme code is {{code}}, {{username}}.\n");
  smtp = await startSmtp();
  server = await startTestServer({
    config: {
      smtpUrl: smtp.url(), mailFrom: "Acme <no-reply@acme.test>", mailTemplatesDir: templates,
      throttleEmailSendAddress: 3, throttleEmailSendIp: 1000, requireVerifiedEmail: true,
    },
  });
});
after(async () => {
  await server.close();
  await smtp.close();
  rmSync(templates, { recursive: true, force: true });
});

let admins = 0;
/** An admin with a verified address (the server requires one), made through the core as the CLI would. */
async function signInAdmin(_server: TestServer) {
  const username = `emailadmin${++admins}`;
  const { user } = await server.tessera.parts.admin.users.create({ username, password: "admin pass phrase for tests", email: `${username}@example.test`, roles: ["user", "admin"] }, { id: "test" });
  await server.tessera.parts.store.markEmailVerified(user.id, user.email!, user.email!, Date.now());
  return signIn(server, username, "admin pass phrase for tests");
}

async function register(username: string, email: string) {
  const res = await server.request<{ id: string }>("POST", "/auth/register", { json: { username, password: PASSWORD, email } });
  assert.equal(res.status, 201, res.text);
  return res.body.id;
}

test("a verified address is required before sign-in; the right password first, then email_not_verified", async () => {
  await register("needsverify", "needsverify@example.test");
  const wrong = await server.request<{ error: string }>("POST", "/oauth/token", { form: { grant_type: "password", username: "needsverify", password: "wrong password" } });
  assert.equal(wrong.body.error, "invalid_grant");
  const right = await server.request<{ error: string }>("POST", "/oauth/token", { form: { grant_type: "password", username: "needsverify", password: PASSWORD } });
  assert.deepEqual([right.status, right.body.error], [403, "email_not_verified"]);
  const cookie = await server.request<{ error: string }>("POST", "/session/login", { headers: { origin: server.issuer }, json: { username: "needsverify", password: PASSWORD } });
  assert.deepEqual([cookie.status, cookie.body.error], [403, "email_not_verified"]);
  const token = linkToken(await smtp.waitFor(to("needsverify@example.test")));
  assert.equal((await server.request("POST", "/auth/email/verify", { json: { token } })).status, 204);
  assert.equal((await server.request("POST", "/oauth/token", { form: { grant_type: "password", username: "needsverify", password: PASSWORD } })).status, 200);
});

test("30 concurrent code requests for one address: 3 messages, the rest 429 with Retry-After; templates come from the folder", async () => {
  const id = await register("bombed", "bombed@example.test");
  const admin = await signInAdmin(server);
  // Verified by an admin (API): audited, no message.
  const marked = await server.request<{ email_verified: boolean }>("POST", `/admin/users/${id}/email/verify`, { token: admin.access_token });
  assert.equal(marked.status, 200, marked.text);
  assert.equal(marked.body.email_verified, true);
  const answers = await Promise.all(Array.from({ length: 30 }, () => server.request("POST", "/auth/otp/send", { json: { email: "Bombed@Example.test" } })));
  assert.equal(answers.filter((a) => a.status === 202).length, 3);
  const refused = answers.filter((a) => a.status === 429);
  assert.equal(refused.length, 27);
  assert.ok(refused.every((a) => Number(a.headers.get("retry-after")) >= 1));
  await server.tessera.parts.mail.service.settled();
  await server.tessera.parts.mail.sender.drain();
  const sent = (await server.tessera.parts.store.listOutbox({ limit: 1000 })).filter((m) => m.recipient === "bombed@example.test" && m.kind === "otp");
  assert.equal(sent.length, 3, "no more messages than the limit");
  const mail = await smtp.waitFor((m) => to("bombed@example.test")(m) && /^Acme code/.test(m.subject ?? ""));
  const code = sixDigitCode(mail);
  assert.equal(mail.subject, `Acme code ${code}`);
  assert.equal(mail.text!.trim(), `Your Acme code is ${code}, bombed.`);
  assert.match(mail.from?.text ?? "", /no-reply@acme\.test/);
  const actions = (await server.tessera.parts.audit.query({ limit: 100, types: ["admin_action"] })).map((a) => JSON.parse(a.detail ?? "{}").action);
  assert.ok(actions.includes("user.mark_email_verified"));
  assert.ok((await server.tessera.parts.audit.query({ limit: 100, types: ["email_verified"] })).some((a) => a.user_id === id && JSON.parse(a.detail!).via === "admin"));
});

test("admin resend (API): a new verification message; not for a verified address", async () => {
  const id = await register("resendme", "resendme@example.test");
  await smtp.waitFor(to("resendme@example.test"));
  const admin = await signInAdmin(server);
  assert.equal((await server.request("POST", `/admin/users/${id}/email/resend`, { token: admin.access_token })).status, 202);
  let n = 0;
  const second = await smtp.waitFor((m) => to("resendme@example.test")(m) && ++n === 2);
  assert.equal((await server.request("POST", "/auth/email/verify", { json: { token: linkToken(second) } })).status, 204);
  const again = await server.request<{ error: string }>("POST", `/admin/users/${id}/email/resend`, { token: admin.access_token });
  assert.deepEqual([again.status, again.body.error], [400, "invalid_request"]);
  assert.equal((await server.request("GET", "/admin/outbox", { token: (await server.request<{ access_token: string }>("POST", "/oauth/token", { form: { grant_type: "password", username: "needsverify", password: PASSWORD } })).body.access_token })).status, 403, "admins only");
});

test("CLI: users verify-email, users resend-verification, mail list --status", async () => {
  if (process.env.TESSERA_TEST_STORE === "postgres") return; // the CLI opens the SQLite file of the data folder
  await register("cliuser", "cliuser@example.test");
  const saved = { ...process.env };
  Object.assign(process.env, { TESSERA_DATA_DIR: server.dataDir, TESSERA_MASTER_KEY: server.tessera.config.masterKey, LOG_LEVEL: "silent", TESSERA_SWEEP_INTERVAL: "0" });
  const run = async (...argv: string[]) => {
    const out: string[] = [];
    const code = await main(argv, { out: (s) => out.push(s), err: (s) => out.push(s) });
    return { code, out: out.join("\n") };
  };
  try {
    const resent = await run("users", "resend-verification", "cliuser");
    assert.equal(resent.code, 0, resent.out);
    const verified = await run("users", "verify-email", "cliuser");
    assert.deepEqual([verified.code, verified.out], [0, "cliuser: cliuser@example.test is verified"]);
    assert.ok((await server.tessera.parts.users.find("cliuser"))!.email_verified_at);
    const list = await run("mail", "list", "--status", "pending", "--json");
    assert.equal(list.code, 0);
    assert.ok(!list.out.includes("payload"), "never the sealed content");
    const bad = await run("mail", "list", "--status", "lost");
    assert.notEqual(bad.code, 0);
  } finally {
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
  }
});
