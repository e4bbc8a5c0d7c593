// The outbox and its delivery over a real SMTP server on loopback (docs/email.md):
// an outage delays a message and never loses or doubles it, a SIGKILL between the
// answer and the delivery loses nothing, wrong credentials are retried and then
// recorded as failed (visible to admins), claims hold one instance at a time,
// and no password or token reaches the log.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { signInAdmin } from "../helpers/admin.js";
import { masterKey, spawnServer } from "../helpers/process.js";
import { dropSchema, newSchemaName, PG_TEST_URL, usePostgres } from "../helpers/pg-schema.js";
import { startTestServer, testClock, type TestServer } from "../helpers/server.js";
import { linkToken, reservePort, startSmtp, to } from "../helpers/smtp.js";

const PASSWORD = "correct horse battery staple";
const FROM = "Tessera <no-reply@example.test>";

/** Resolves with the next delivery attempt's outcome. */
function nextDelivery(server: TestServer): Promise<string> {
  return new Promise((resolve) => server.tessera.parts.events.once("mail-delivery", (e) => resolve(e.outcome)));
}

async function register(server: TestServer, username: string, email: string): Promise<void> {
  const res = await server.request("POST", "/auth/register", { json: { username, password: PASSWORD, email } });
  assert.equal(res.status, 201, res.text);
}

test("SMTP down at first, then up: the message waits, then arrives exactly once", async () => {
  const port = await reservePort();
  const clock = testClock();
  const server = await startTestServer({ clock, config: { smtpUrl: `smtp://127.0.0.1:${port}`, mailFrom: FROM, mailRetryBaseSeconds: 5, mailPollIntervalMs: 600_000 } });
  const smtpHolder: { close?: () => Promise<void> } = {};
  try {
    const failed = nextDelivery(server);
    await register(server, "outage", "outage@example.test");
    assert.equal(await failed, "retry", "the first attempt meets no server");
    const [row] = await server.tessera.parts.store.listOutbox({ limit: 10 });
    assert.deepEqual([row!.status, row!.attempts], ["pending", 1]);
    assert.match(row!.last_error ?? "", /ECONNREFUSED|ECONNECTION/);
    const smtp = await startSmtp({ port });
    smtpHolder.close = () => smtp.close();
    await server.tessera.parts.mail.sender.drain();
    assert.equal(smtp.messages.length, 0, "not before its retry time");
    clock.advance(5_001);
    await server.tessera.parts.mail.sender.drain();
    const mail = await smtp.waitFor(to("outage@example.test"));
    clock.advance(3_600_000);
    await server.tessera.parts.mail.sender.drain();
    assert.equal(smtp.messages.length, 1, "delivered once");
    assert.ok(linkToken(mail));
    const [sent] = await server.tessera.parts.store.listOutbox({ limit: 10 });
    assert.deepEqual([sent!.status, sent!.attempts], ["sent", 2]);
    assert.equal(mail.messageId, `<${sent!.id}@127.0.0.1>`, "the Message-ID is the outbox row's: stable across attempts");
    // Metrics count both attempts.
    const metrics = await server.request("GET", "/metrics");
    assert.match(metrics.text, /tessera_email_deliveries_total\{outcome="retry",kind="verify"\} 1/);
    assert.match(metrics.text, /tessera_email_deliveries_total\{outcome="sent",kind="verify"\} 1/);
  } finally {
    await server.close();
    await smtpHolder.close?.();
  }
});

test("wrong SMTP credentials: retried with backoff, then recorded as failed, listed for admins and audited, the password never logged", async () => {
  const smtp = await startSmtp({ auth: { user: "tessera", pass: "right-secret" } });
  const clock = testClock();
  const lines: string[] = [];
  const server = await startTestServer({
    clock, logStream: { write: (l: string) => { lines.push(l); } },
    config: { smtpUrl: smtp.url({ user: "tessera", pass: "wrong-secret-9f2" }), mailFrom: FROM, mailMaxAttempts: 3, mailRetryBaseSeconds: 10, mailPollIntervalMs: 600_000, logLevel: "info" },
  });
  try {
    const first = nextDelivery(server);
    await register(server, "badauth", "badauth@example.test");
    assert.equal(await first, "retry");
    const outcomes = ["retry"];
    for (const wait of [10_000, 20_000]) {
      clock.advance(wait - 1);
      await server.tessera.parts.mail.sender.drain();
      assert.equal(outcomes.length, smtp.authFailures, "not before the backoff has passed");
      clock.advance(1);
      const next = nextDelivery(server);
      await server.tessera.parts.mail.sender.drain();
      outcomes.push(await next);
    }
    assert.deepEqual(outcomes, ["retry", "retry", "failed"]);
    assert.equal(smtp.authFailures, 3);
    assert.equal(smtp.messages.length, 0);
    const admin = await signInAdmin(server);
    const listed = await server.request<{ messages: Array<{ status: string; recipient: string; attempts: number; last_error: string }> }>("GET", "/admin/outbox?status=failed", { token: admin.access_token });
    assert.equal(listed.status, 200);
    assert.equal(listed.body.messages.length, 1);
    assert.deepEqual([listed.body.messages[0]!.recipient, listed.body.messages[0]!.attempts], ["badauth@example.test", 3]);
    assert.match(listed.body.messages[0]!.last_error, /EAUTH 535/);
    const audit = await server.tessera.parts.audit.query({ limit: 50, types: ["email_delivery"] });
    assert.deepEqual(audit.map((a) => a.outcome), ["failed", "retry", "retry"]);
    const dump = lines.join("") + JSON.stringify(listed.body) + JSON.stringify(audit);
    assert.ok(lines.some((l) => l.includes("email delivery failed")), "control: the failures were logged");
    assert.ok(!dump.includes("wrong-secret-9f2"), "the SMTP password never reaches a log, an answer or the audit log");
    assert.ok(!dump.includes(`token=`), "nor does a token");
  } finally {
    await server.close();
    await smtp.close();
  }
});

test("a claim holds one instance at a time: 30 concurrent claims, one wins; a dead instance's lease runs out", async () => {
  const clock = testClock();
  const server = await startTestServer({ clock, config: { smtpUrl: "smtp://127.0.0.1:9", mailFrom: FROM, mailPollIntervalMs: 600_000 } });
  try {
    await server.tessera.parts.mail.sender.stop(); // this test claims by hand
    await server.tessera.parts.store.writeEmail({ messages: [{
      id: "00000000-0000-4000-8000-000000000001", kind: "verify", recipient: "claim@example.test", user_id: null, payload: "sealed", status: "pending",
      attempts: 0, next_attempt_at: clock.now(), claimed_by: null, lease_until: null, last_error: null, created_at: clock.now(), sent_at: null, failed_at: null,
    }] });
    const now = clock.now();
    const claims = await Promise.all(Array.from({ length: 30 }, (_, i) => server.tessera.parts.store.claimOutbox(`instance-${i}`, now, now + 60_000, 10)));
    const winners = claims.filter((c) => c.length === 1);
    assert.equal(winners.length, 1);
    const owner = winners[0]![0]!.claimed_by!;
    assert.equal((await server.tessera.parts.store.claimOutbox("late", now + 59_999, now + 120_000, 10)).length, 0, "the lease holds");
    const taken = await server.tessera.parts.store.claimOutbox("successor", now + 60_001, now + 120_000, 10);
    assert.equal(taken.length, 1, "after the lease, another instance takes it over");
    assert.equal(taken[0]!.attempts, 2);
    assert.equal(await server.tessera.parts.store.settleOutbox(taken[0]!.id, owner, { status: "sent", at: now }), false, "the dead instance's late answer changes nothing");
    assert.equal(await server.tessera.parts.store.settleOutbox(taken[0]!.id, "successor", { status: "sent", at: now }), true);
  } finally {
    await server.close();
  }
});

test("killed with SIGKILL after the answer and before delivery: the message is delivered after restart", { timeout: 180_000 }, async () => {
  const port = await reservePort();
  const dataDir = mkdtempSync(join(tmpdir(), "tessera-email-kill-"));
  const schema = usePostgres() ? newSchemaName() : undefined;
  const env = {
    TESSERA_DATA_DIR: dataDir, TESSERA_MASTER_KEY: masterKey(), TESSERA_SMTP_URL: `smtp://127.0.0.1:${port}`, TESSERA_MAIL_FROM: FROM,
    TESSERA_MAIL_RETRY_BASE_SECONDS: "1", TESSERA_MAIL_POLL_INTERVAL_MS: "100", TESSERA_THROTTLE_REGISTER_IP: "0",
    ...(schema ? { DATABASE_URL: PG_TEST_URL, TESSERA_PG_SCHEMA: schema } : {}),
  };
  const first = await spawnServer(env);
  let smtp: Awaited<ReturnType<typeof startSmtp>> | undefined;
  let second: Awaited<ReturnType<typeof spawnServer>> | undefined;
  try {
    const res = await fetch(`${first.url}/auth/register`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username: "killed", password: PASSWORD, email: "killed@example.test" }) });
    assert.equal(res.status, 201);
    first.child.kill("SIGKILL");
    assert.match(first.output(), /Email: SMTP smtp:\/\/127\.0\.0\.1:\d+/);
    assert.equal(await first.exited, "SIGKILL");
    smtp = await startSmtp({ port });
    second = await spawnServer(env);
    const mail = await smtp.waitFor(to("killed@example.test"), 60_000);
    assert.ok(linkToken(mail));
  } finally {
    second?.child.kill("SIGTERM");
    if (second) await second.exited;
    if (first.child.exitCode === null && first.child.signalCode === null) first.child.kill("SIGKILL");
    await smtp?.close();
    rmSync(dataDir, { recursive: true, force: true });
    if (schema) await dropSchema(schema);
  }
});

test("without SMTP, messages are .eml files listed on a loopback page, and the start-up line says where", { timeout: 120_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "tessera-email-dev-"));
  const child = await spawnServer({ TESSERA_DATA_DIR: dataDir, TESSERA_MASTER_KEY: masterKey() });
  try {
    const res = await fetch(`${child.url}/auth/register`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username: "devmail", password: PASSWORD, email: "dev@example.test" }) });
    assert.equal(res.status, 201);
    assert.match(child.output(), new RegExp(`Email: no TESSERA_SMTP_URL; messages are written to ${join(dataDir, "mail").replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} and listed at http://127\\.0\\.0\\.1:\\d+/dev/mail`));
    let list = "";
    for (let i = 0; i < 100 && !list.includes("Confirm your email address"); i++) {
      list = await (await fetch(`${child.url}/dev/mail`)).text();
      if (!list.includes("Confirm")) await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(list, /dev@example\.test/);
    const id = /href="\/dev\/mail\/([\w-]+)"/.exec(list)![1]!;
    const raw = await (await fetch(`${child.url}/dev/mail/${id}`)).text();
    assert.match(raw, /token=[0-9A-Z]{26}/);
    assert.match(raw, /Content-Type: text\/plain/);
  } finally {
    child.child.kill("SIGTERM");
    await child.exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("the dev mail page is off with NODE_ENV=production; a forwarded client address does not change who may see it", async () => {
  const prev = process.env.NODE_ENV;
  process.env.NODE_ENV = "production";
  const prod = await startTestServer().finally(() => { process.env.NODE_ENV = prev; });
  try {
    assert.equal((await prod.request("GET", "/dev/mail")).status, 404);
  } finally {
    await prod.close();
  }
  const dev = await startTestServer({ config: { trustProxy: true } });
  try {
    assert.equal((await dev.request("GET", "/dev/mail")).status, 200);
    // A forwarded client address changes nothing: the peer is what counts (here loopback, so allowed).
    assert.equal((await dev.request("GET", "/dev/mail", { headers: { "x-forwarded-for": "203.0.113.9" } })).status, 200);
  } finally {
    await dev.close();
  }
});
