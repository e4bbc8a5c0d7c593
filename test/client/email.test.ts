// tessera/client's email methods against a real server and a real SMTP server:
// verification, sign-in with an emailed code (token mode), reset, address change.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createClient } from "../../packages/client/src/index.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { linkToken, sixDigitCode, startSmtp, to, type SmtpSink } from "../helpers/smtp.js";

const PASSWORD = "correct horse battery staple";
let smtp: SmtpSink;
let server: TestServer;

before(async () => {
  smtp = await startSmtp();
  server = await startTestServer({ config: { smtpUrl: smtp.url(), mailFrom: "Tessera <no-reply@example.test>" } });
});
after(async () => {
  await server.close();
  await smtp.close();
});

test("signUp with an email, verifyEmail, sendSignInCode + signInWithCode, requestPasswordReset + resetPassword, changeEmail", async () => {
  const auth = createClient({ baseUrl: server.url, storage: "memory" });
  await auth.signUp({ username: "clientann", password: PASSWORD, email: "clientann@example.test" });
  await auth.verifyEmail(linkToken(await smtp.waitFor(to("clientann@example.test"))));
  await auth.sendSignInCode("clientann@example.test");
  await auth.sendSignInCode("nobody-here@example.test"); // resolves the same
  const code = sixDigitCode(await smtp.waitFor((m) => to("clientann@example.test")(m) && /code/.test(m.subject ?? "")));
  const session = await auth.signInWithCode("clientann@example.test", code);
  assert.deepEqual(JSON.parse(Buffer.from(session.accessToken!.split(".")[1]!, "base64url").toString()).amr, ["otp"]);
  assert.equal((await auth.getUser() as unknown as { email_verified: boolean }).email_verified, true);
  await auth.requestPasswordReset({ username: "clientann" });
  const reset = linkToken(await smtp.waitFor((m) => to("clientann@example.test")(m) && /Reset/.test(m.subject ?? "")));
  await auth.resetPassword(reset, "a new client passphrase");
  await auth.signIn("clientann@example.test", "a new client passphrase");
  await auth.changeEmail("clientann2@example.test", "a new client passphrase");
  await auth.verifyEmail(linkToken(await smtp.waitFor(to("clientann2@example.test"))));
  assert.equal((await auth.getUser()).email, "clientann2@example.test");
  await assert.rejects(auth.verifyEmail("0000000000000000000000000Z"), (e: Error & { code?: string }) => e.code === "invalid_grant");
  auth.close();
});
