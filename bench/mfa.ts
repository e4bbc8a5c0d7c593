/**
 * The second step's own cost, in process (benchMfa; HTTP rows in benchMfaHttp): a TOTP check as the
 * server does it (unseal the secret, three HMAC-SHA-1 steps) and a passkey
 * assertion's verification (@simplewebauthn/server, ES256), beside one
 * argon2id password hash at the default parameters — the first step every
 * second step follows. `npm run bench -- mfa`. Over HTTP: the password grant
 * before and after second factors, then TOTP and passkeys as the second step,
 * and a passkey alone.
 */
import { randomBytes } from "node:crypto";
import { generateAuthenticationOptions, generateRegistrationOptions, verifyAuthenticationResponse, verifyRegistrationResponse } from "@simplewebauthn/server";
import { hash } from "@node-rs/argon2";
import { deriveKey, seal, unseal } from "../src/core/keys/master-key.js";
import { matchTotp, newTotpSecret, totpAt, base32Decode } from "../src/core/mfa/totp.js";
import { SoftAuthenticator } from "../test/helpers/soft-authenticator.js";
import { median, postJson, startBenchServer, type BenchServer } from "./lib.js";

async function perSecond(run: () => unknown, ms = 1500): Promise<number> {
  const end = performance.now() + ms;
  let n = 0;
  while (performance.now() < end) {
    await run();
    n++;
  }
  return Math.round(n / (ms / 1000));
}

export async function benchMfa(): Promise<Record<string, number>> {
  const key = deriveKey(randomBytes(32), "totp-secret");
  const secret = newTotpSecret();
  const sealed = seal(key, secret, "factor");
  const code = totpAt(base32Decode(secret), Date.now());
  const totp = await perSecond(() => matchTotp(unseal(key, sealed, "factor"), code, Date.now(), null));

  const origin = "http://localhost:3000";
  const auth = new SoftAuthenticator({ origin });
  const creation = await generateRegistrationOptions({ rpName: "bench", rpID: "localhost", userName: "bench", attestationType: "none" });
  const registered = await verifyRegistrationResponse({ response: auth.create(creation as never) as never, expectedChallenge: creation.challenge, expectedOrigin: origin, expectedRPID: "localhost" });
  if (!registered.verified) throw new Error("bench registration failed");
  const credential = registered.registrationInfo.credential;
  const request = await generateAuthenticationOptions({ rpID: "localhost" });
  let counter = 0;
  const passkey = await perSecond(async () => {
    const response = auth.get(request as never);
    await verifyAuthenticationResponse({ response: response as never, expectedChallenge: request.challenge, expectedOrigin: origin, expectedRPID: "localhost", credential: { ...credential, counter: counter++ } });
  });
  const argon2 = await perSecond(() => hash("a password of the bench", { memoryCost: 19456, timeCost: 2, parallelism: 1 }));
  return { totp_checks_per_s: totp, passkey_verifications_per_s: passkey, argon2id_hashes_per_s: argon2 };
}

/** Runs `work` from `concurrency` loops for `ms`; completed runs per second (a failed run throws). */
async function throughput(work: (i: number) => Promise<void>, concurrency: number, ms: number): Promise<number> {
  const end = performance.now() + ms;
  let done = 0;
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) {
      await work(next++);
      done++;
    }
  }));
  return Math.round((done / (ms / 1000)) * 10) / 10;
}

async function tokenRequest(url: string, form: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${url}/oauth/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(form) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const PASSWORD = "benchmark password of the second step";
const CONCURRENCY = 4;
const ROUND_MS = 4000;

async function passwordGrant(url: string, username: string): Promise<Record<string, unknown>> {
  const res = await tokenRequest(url, { grant_type: "password", username, password: PASSWORD });
  if (res.status !== 200 && res.body.error !== "mfa_required") throw new Error(`password grant: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/**
 * Passkey sign-ins over HTTP, with the software authenticator of the tests (real
 * P-256 keys, real ES256 assertions): CONCURRENCY users, each with one passkey,
 * sign in again and again (an assertion's counter rises each time, as a real
 * authenticator's does) — as the second step after the password, and alone.
 */
async function benchPasskeysHttp(server: BenchServer): Promise<{ secondStep: number; alone: number }> {
  const { url, issuer } = server;
  const users: Array<{ username: string; auth: SoftAuthenticator }> = [];
  for (let i = 0; i < CONCURRENCY; i++) {
    const username = `passkey${i}`;
    await postJson(`${url}/auth/register`, { username, password: PASSWORD });
    const tokens = (await passwordGrant(url, username)) as { access_token: string };
    const headers = { authorization: `Bearer ${tokens.access_token}` };
    const auth = new SoftAuthenticator({ origin: issuer });
    const options = await postJson<Record<string, unknown>>(`${url}/auth/passkeys/options`, {}, headers);
    await postJson(`${url}/auth/passkeys`, { response: auth.create(options), name: "bench" }, headers);
    users.push({ username, auth });
  }
  const grant = async (body: Record<string, unknown>) => {
    const response = await fetch(`${url}/oauth/token`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    if (response.status !== 200) throw new Error(`passkey sign-in: ${response.status} ${await response.text()}`);
    await response.arrayBuffer();
  };
  const secondStep = await throughput(async (i) => {
    const user = users[i % CONCURRENCY]!;
    const first = await passwordGrant(url, user.username);
    const { options } = await postJson<{ options: Record<string, unknown> }>(`${url}/auth/passkeys/mfa-options`, { mfa_token: first.mfa_token });
    await grant({ grant_type: "urn:tessera:params:oauth:grant-type:mfa", mfa_token: first.mfa_token, webauthn: user.auth.get(options) });
  }, CONCURRENCY, ROUND_MS);
  // Discoverable: no username, the authenticator picks the credential (here: the loop's user).
  const alone = await throughput(async (i) => {
    const user = users[i % CONCURRENCY]!;
    const { challenge_id, options } = await postJson<{ challenge_id: string; options: Record<string, unknown> }>(`${url}/auth/passkeys/login-options`, {});
    await grant({ grant_type: "urn:tessera:params:oauth:grant-type:passkey", challenge_id, webauthn: user.auth.get(options, { credential: user.auth.credentials[0] }) });
  }, CONCURRENCY, ROUND_MS);
  return { secondStep, alone };
}

/**
 * Over HTTP, the server started as users start it (bench/lib.ts), default argon2
 * parameters: the password grant of a user without a factor — on this checkout and,
 * when BENCH_MFA_BEFORE names a built checkout of the commit before second factors,
 * on that one too, rounds alternating so both see the same machine — and the
 * password grant followed by the TOTP second step. Sign-ins per second, 4 at a time.
 */
export async function benchMfaHttp(): Promise<Record<string, number | string>> {
  const before = process.env.BENCH_MFA_BEFORE;
  // Both named localhost: passkeys need a domain for their RP ID (the password grant does not care).
  const servers = [{ name: "this checkout", server: await startBenchServer({}, undefined, [], "localhost") }];
  if (before) {
    servers.push({ name: "before second factors", server: await startBenchServer({}, before, [], "localhost") });
  }
  try {
    for (const { server } of servers) {
      for (let i = 0; i < CONCURRENCY; i++) await postJson(`${server.url}/auth/register`, { username: `plain${i}`, password: PASSWORD });
    }
    const rounds: Record<string, number[]> = Object.fromEntries(servers.map((s) => [s.name, []]));
    for (let round = 0; round < 3; round++) {
      for (const { name, server } of servers) {
        rounds[name]!.push(await throughput((i) => passwordGrant(server.url, `plain${i % CONCURRENCY}`).then(() => undefined), CONCURRENCY, ROUND_MS));
      }
    }
    // Users with a confirmed authenticator app: a TOTP code is accepted once per step, so each sign-in takes a fresh user.
    const url = servers[0]!.server.url;
    const users: Array<{ username: string; secret: string }> = [];
    for (let i = 0; i < 120; i++) {
      const username = `totp${i}`;
      await postJson(`${url}/auth/register`, { username, password: PASSWORD });
      const tokens = (await passwordGrant(url, username)) as { access_token: string };
      const headers = { authorization: `Bearer ${tokens.access_token}` };
      const enrol = await postJson<{ factor_id: string; secret: string }>(`${url}/auth/factors/totp`, {}, headers);
      await postJson(`${url}/auth/factors/totp/confirm`, { factor_id: enrol.factor_id, code: totpAt(base32Decode(enrol.secret), Date.now()) }, headers);
      users.push({ username, secret: enrol.secret });
    }
    // The confirming code's step is spent; the next step starts within 30 s.
    await new Promise((resolve) => setTimeout(resolve, 30_000 - (Date.now() % 30_000) + 50));
    // Every prepared user signs in once, CONCURRENCY at a time: the rate is sign-ins over the time they took
    // (a timed round would run out of users on a fast machine and count the empty calls).
    let used = 0;
    const started = performance.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      for (let user = users[used++]; user; user = users[used++]) {
        const first = await passwordGrant(url, user.username);
        const done = await tokenRequest(url, { grant_type: "urn:tessera:params:oauth:grant-type:mfa", mfa_token: String(first.mfa_token), otp: totpAt(base32Decode(user.secret), Date.now()) });
        if (done.status !== 200) throw new Error(`mfa grant: ${done.status} ${JSON.stringify(done.body)}`);
      }
    }));
    const totp = Math.round((users.length / ((performance.now() - started) / 1000)) * 10) / 10;
    const passkey = await benchPasskeysHttp(servers[0]!.server);
    const result: Record<string, number | string> = {};
    for (const { name } of servers) result[`password grant, no factor, ${name} (sign-ins/s, rounds ${rounds[name]!.join(" / ")})`] = median(rounds[name]!);
    if (before) result["ratio this / before (medians)"] = Math.round((median(rounds["this checkout"]!) / median(rounds["before second factors"]!)) * 100) / 100;
    result[`password + TOTP second step (sign-ins/s, two requests each, ${users.length} users)`] = totp;
    result["password + passkey second step (sign-ins/s, three requests each: password grant, mfa-options, mfa grant)"] = passkey.secondStep;
    result["passkey alone, discoverable (sign-ins/s, two requests each: login-options, passkey grant; no argon2)"] = passkey.alone;
    return result;
  } finally {
    for (const { server } of servers) await server.stop();
  }
}
