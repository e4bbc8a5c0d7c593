/**
 * The second step's own cost, in process (no HTTP): a TOTP check as the
 * server does it (unseal the secret, three HMAC-SHA-1 steps) and a passkey
 * assertion's verification (@simplewebauthn/server, ES256), beside one
 * argon2id password hash at the default parameters — the first step every
 * second step follows. `npm run bench -- mfa`.
 */
import { randomBytes } from "node:crypto";
import { generateAuthenticationOptions, generateRegistrationOptions, verifyAuthenticationResponse, verifyRegistrationResponse } from "@simplewebauthn/server";
import { hash } from "@node-rs/argon2";
import { deriveKey, seal, unseal } from "../src/core/keys/master-key.js";
import { matchTotp, newTotpSecret, totpAt, base32Decode } from "../src/core/mfa/totp.js";
import { SoftAuthenticator } from "../test/helpers/soft-authenticator.js";

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
