/**
 * The revocation-feed follower against a loopback issuer that implements the
 * feed contract: snapshot, long poll, cursor reset, backoff, expiry, close,
 * and never holding a process open.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { afterEach, beforeEach, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { createVerifier, type Verifier, type VerifierOptions } from "../../packages/verify/src/index.js";
import { startFakeIssuer, type FakeIssuer } from "./helpers/fake-issuer.js";
import { assertRefused } from "./helpers/setup.js";
import { claimsFor, makeKey, signToken } from "./helpers/tokens.js";

const key = makeKey("ES256");
let issuer: FakeIssuer;
let verifier: Verifier | undefined;
const errors: Error[] = [];

function follow(options: Partial<VerifierOptions> = {}): Verifier {
  verifier = createVerifier({ issuer: issuer.issuer, keys: [key.jwk], onError: (e) => errors.push(e), ...options });
  return verifier;
}
const token = (sid = "session-1"): string => signToken(key, claimsFor(issuer.issuer, Date.now(), { sid }));
const inFifteenMinutes = (): number => Math.floor(Date.now() / 1000) + 900;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls verify until it refuses the token as revoked (any other error fails); returns how long that took. */
async function msUntilRefused(v: Verifier, t: string, limitMs = 5000): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < limitMs) {
    try {
      await v.verify(t);
    } catch (error) {
      if ((error as { code?: string }).code !== "ERR_TOKEN_REVOKED") throw error;
      return Date.now() - started;
    }
    await sleep(10);
  }
  return Number.POSITIVE_INFINITY;
}

beforeEach(async () => {
  issuer = await startFakeIssuer([key]);
  errors.length = 0;
});
afterEach(async () => {
  verifier?.close();
  verifier = undefined;
  await issuer.close();
});

describe("revocation feed follower", () => {
  it("refuses, on the very first verify, a session revoked before the verifier started", async () => {
    issuer.revoke("session-1", inFifteenMinutes());
    const v = follow();
    await assertRefused(v.verify(token()), "ERR_TOKEN_REVOKED");
    assert.equal((await v.verify(token("session-2"))).sid, "session-2");
  });

  it("delivers a logout to the verifier well within 2 s (long poll)", async () => {
    const v = follow();
    const t = token();
    await v.verify(t);
    await sleep(100); // the follower is now holding a long poll open
    issuer.revoke("session-1", inFifteenMinutes());
    const ms = await msUntilRefused(v, t);
    assert.ok(ms < 2000, `took ${ms} ms`);
    await assertRefused(v.verify(t), "ERR_TOKEN_REVOKED");
    const longPoll = issuer.feedQueries[1];
    assert.ok(longPoll?.get("since") && longPoll.get("wait") === "25", `query ${String(longPoll)}`);
    assert.equal(issuer.feedQueries[0]?.has("since"), false, "starts with a snapshot");
  });

  it("leaves tokens without a sid (client_credentials) alone", async () => {
    issuer.revoke("session-1", inFifteenMinutes());
    const v = follow();
    const claims = await v.verify(signToken(key, claimsFor(issuer.issuer, Date.now(), { sid: undefined, sub: "svc" })));
    assert.equal(claims.sub, "svc");
  });

  it("uses the metadata's revocation_feed_endpoint when present", async () => {
    issuer.metadataExtra = { revocation_feed_endpoint: `${issuer.issuer}/custom/feed` };
    const v = createVerifier({ issuer: issuer.issuer });
    verifier = v;
    await v.verify(token());
    assert.deepEqual([...new Set(issuer.feedPaths)], ["/custom/feed"]);
  });

  it("restarts from a snapshot when the server no longer knows its cursor (400)", async () => {
    const v = follow();
    const t = token();
    await v.verify(t);
    await sleep(100);
    issuer.resetCursors(); // the held poll now answers 400
    await sleep(100);
    issuer.revoke("session-1", inFifteenMinutes());
    assert.ok((await msUntilRefused(v, t)) < 2000);
    assert.ok(issuer.feedQueries.filter((q) => !q.has("since")).length >= 2, "a second snapshot was taken");
  });

  it("retries with backoff while the feed is down, then catches up", async () => {
    const v = follow({ revocation: { minBackoff: 0.05, maxBackoff: 0.2 } });
    const t = token();
    await v.verify(t);
    issuer.down = true;
    issuer.resetCursors(); // wake the held poll so it meets the outage
    await sleep(600);
    const attempts = issuer.counts.feed;
    assert.ok(attempts >= 3 && attempts <= 15, `${attempts} polls in 600 ms`);
    assert.ok(errors.length >= 2, "failures are reported to onError");
    assert.equal((await v.verify(t)).sub, "user-1", "tokens keep verifying meanwhile");
    issuer.revoke("session-1", inFifteenMinutes());
    issuer.down = false;
    assert.ok((await msUntilRefused(v, t)) < 2000);
  });

  it("drops an entry once no token of that session can pass the clock check", async () => {
    let clock = Date.now();
    const v = follow({ clock: () => clock });
    await v.verify(token("other"));
    const exp = Math.floor(clock / 1000) + 60;
    issuer.revoke("session-1", exp);
    assert.ok((await msUntilRefused(v, token("session-1"))) < 5000, "session-1's revocation arrived");
    assert.equal(v.status().revokedSessions, 1);
    clock = exp * 1000 + 30_001; // past exp plus the 30 s tolerance
    issuer.revoke("session-9", exp + 3600); // the next delivery prunes
    // A follower that stopped polling never learns of session-9: wait for that delivery itself.
    assert.ok((await msUntilRefused(v, token("session-9"))) < 5000, "session-9's revocation arrived");
    assert.equal(v.status().revokedSessions, 1, "session-9 in, session-1 pruned");
  });

  it("paces a feed that answers at once to one empty poll per second", async () => {
    const v = follow({ revocation: { wait: 0 } });
    await v.verify(token());
    await sleep(2500);
    // Paced, but still polling: the snapshot and at least one poll a second after it.
    assert.ok(issuer.counts.feed >= 2 && issuer.counts.feed <= 5, `${issuer.counts.feed} polls in 2.5 s`);
  });

  it("stops polling on close()", async () => {
    const v = follow();
    await v.verify(token());
    await sleep(50);
    v.close();
    const polls = issuer.counts.feed;
    issuer.revoke("x", inFifteenMinutes());
    await sleep(300);
    assert.equal(issuer.counts.feed, polls);
  });

  it("never keeps a process alive, even with a long poll open and no close()", async () => {
    const script = fileURLToPath(new URL("./helpers/exit-probe.ts", import.meta.url));
    const child = spawn(process.execPath, ["--import", "tsx", script], {
      env: { ...process.env, ISSUER: issuer.issuer, JWK: JSON.stringify(key.jwk), TOKEN: token() }, stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => { out += chunk.toString(); });
    const started = Date.now();
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    assert.equal(code, 0);
    assert.match(out, /verified user-1/);
    assert.ok(Date.now() - started < 10_000, "exited without waiting out the 25 s poll");
    assert.ok(issuer.counts.feed >= 2, "the long poll was open when the child exited");
  });
});
