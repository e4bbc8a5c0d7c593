/**
 * RFC 6238 TOTP (on RFC 4226 HOTP) with node:crypto: HMAC-SHA-1, 30-second
 * steps from the Unix epoch, 6 digits — what every authenticator app reads
 * from an `otpauth://` URI. Verification accepts one step of drift either way;
 * which step matched is returned so the caller can record it and refuse a
 * second use of the same code (RFC 6238 §5.2).
 */
import { createHmac, randomBytes } from "node:crypto";
import { safeEqual } from "../crypto-utils.js";

export const TOTP_STEP_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** Steps of clock drift accepted either side of now. */
export const TOTP_DRIFT_STEPS = 1;

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** RFC 4648 base32, no padding (what otpauth URIs carry). */
export function base32Encode(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

export function base32Decode(text: string): Buffer {
  const clean = text.replace(/=+$/, "").toUpperCase();
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const ch of clean) {
    const index = BASE32.indexOf(ch);
    if (index < 0) throw new Error("not base32");
    value = ((value << 5) | index) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** A new secret: 20 random bytes (160 bits, RFC 4226's recommended length for SHA-1). */
export function newTotpSecret(): string {
  return base32Encode(randomBytes(20));
}

/** The time step of an instant (epoch ms). */
export function totpStep(nowMs: number): number {
  return Math.floor(nowMs / 1000 / TOTP_STEP_SECONDS);
}

/** RFC 4226 §5.3: HOTP value of `counter` with dynamic truncation, `digits` long. */
export function hotp(key: Buffer, counter: number, digits = TOTP_DIGITS, algorithm: "sha1" | "sha256" | "sha512" = "sha1"): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(algorithm, key).update(message).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = ((mac[offset]! & 0x7f) << 24) | (mac[offset + 1]! << 16) | (mac[offset + 2]! << 8) | mac[offset + 3]!;
  return String(binary % 10 ** digits).padStart(digits, "0");
}

/** The code of the step that holds `nowMs`. */
export function totpAt(key: Buffer, nowMs: number, digits = TOTP_DIGITS, algorithm: "sha1" | "sha256" | "sha512" = "sha1"): string {
  return hotp(key, totpStep(nowMs), digits, algorithm);
}

/**
 * The step a code matches within the drift window, or undefined. Steps at or
 * before `afterStep` (the last one used) never match: a code works once.
 */
export function matchTotp(secret: string, code: string, nowMs: number, afterStep: number | null): number | undefined {
  if (!/^\d{6}$/.test(code)) return undefined;
  const key = base32Decode(secret);
  const current = totpStep(nowMs);
  let found: number | undefined;
  // Every candidate is computed and compared (no early exit): the answer takes the same time whichever matched.
  for (let step = current - TOTP_DRIFT_STEPS; step <= current + TOTP_DRIFT_STEPS; step++) {
    if (safeEqual(hotp(key, step), code) && (afterStep === null || step > afterStep) && found === undefined) found = step;
  }
  return found;
}

/**
 * The issuer an authenticator app shows for a server at `host` (a URL's `host`: default ports are
 * already left out). The Key Uri Format splits the label `issuer:account` at its colon, literal or
 * `%3A`, so `localhost:4811` would read as issuer "localhost" and account "4811:alice". A port is
 * kept, after a space (`localhost 4811`): two servers on one host stay two entries in the app rather
 * than one replacing the other. Any other colon (an IPv6 literal, development only) becomes `-`.
 *
 * @example keyUriIssuer("auth.example.com") // "auth.example.com"
 * @example keyUriIssuer("localhost:4811") // "localhost 4811"
 */
export function keyUriIssuer(host: string): string {
  const withPort = /^(.+):(\d+)$/.exec(host);
  const [name, port] = withPort ? [withPort[1]!, withPort[2]!] : [host, undefined];
  const label = name.replaceAll(":", "-");
  return port === undefined ? label : `${label} ${port}`;
}

/**
 * The `otpauth://` URI an authenticator app scans (Key Uri Format): the label `issuer:account` and the
 * `issuer` parameter name the same issuer. Neither may hold a colon (see `keyUriIssuer`). Every
 * value is percent-encoded (a space is `%20`, not `+`, which some apps show as is).
 */
export function otpauthUri(issuer: string, account: string, secret: string): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`;
  const params = { secret, issuer, algorithm: "SHA1", digits: String(TOTP_DIGITS), period: String(TOTP_STEP_SECONDS) };
  const query = Object.entries(params).map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&");
  return `otpauth://totp/${label}?${query}`;
}
