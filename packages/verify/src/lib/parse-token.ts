/**
 * Splits a compact JWS and checks its protected header before any key is
 * looked up. Only `alg`, `kid`, `typ` and `crit` are read: `jku`, `x5u`, `jwk`
 * and `x5c` would let the token choose the key that verifies it, so they are
 * never consulted.
 */
import { VerifyError } from "../errors.js";
import type { Algorithm } from "../types.js";
import type { CryptoBackend } from "./crypto-backend.js";
import { isObject } from "./http.js";

/** Tessera tokens are well under 2 KiB; this only bounds the work a stranger can cause. */
export const MAX_TOKEN_LENGTH = 8192;
const MAX_KID_LENGTH = 256;
const SEGMENT = /^[A-Za-z0-9_-]+$/;

export interface ParsedToken {
  alg: Algorithm;
  kid: string;
  signingInput: string;
  payloadSegment: string;
  signature: string;
}

/**
 * Headers already checked, by their segment: every token of one key has the
 * same header, so its decoding and checks are done once. Only headers that
 * passed are kept, and only a few, so strangers cannot grow it.
 */
const HEADER_MEMO_SIZE = 32;

export type TokenParser = (token: unknown) => ParsedToken;

export function createTokenParser(algorithms: ReadonlySet<string>, backend: CryptoBackend): TokenParser {
  const memo = new Map<string, { alg: Algorithm; kid: string }>();
  const checkedHeader = (segment: string): { alg: Algorithm; kid: string } => {
    let header = memo.get(segment);
    if (header === undefined) {
      header = checkHeader(decodeJson(backend, segment, "header"), algorithms);
      if (memo.size >= HEADER_MEMO_SIZE) memo.clear();
      memo.set(segment, header);
    }
    return header;
  };
  return (token) => parseToken(token, checkedHeader);
}

function parseToken(token: unknown, checkedHeader: (segment: string) => { alg: Algorithm; kid: string }): ParsedToken {
  if (typeof token !== "string" || token.length > MAX_TOKEN_LENGTH) throw new VerifyError("ERR_TOKEN_MALFORMED", { reason: "not a string of sane length" });
  const first = token.indexOf(".");
  const second = token.indexOf(".", first + 1);
  if (first < 0 || second < 0 || token.indexOf(".", second + 1) >= 0) throw new VerifyError("ERR_TOKEN_MALFORMED", { reason: "not three segments" });
  const headerSegment = token.slice(0, first);
  const payloadSegment = token.slice(first + 1, second);
  const signature = token.slice(second + 1);
  // An empty signature segment is a stripped signature; refuse it before anything else.
  if (!SEGMENT.test(headerSegment) || !SEGMENT.test(payloadSegment) || !SEGMENT.test(signature)) {
    throw new VerifyError("ERR_TOKEN_MALFORMED", { reason: "segment is empty or not base64url" });
  }
  const { alg, kid } = checkedHeader(headerSegment);
  return { alg, kid, signingInput: token.slice(0, second), payloadSegment, signature };
}

function checkHeader(header: Record<string, unknown>, algorithms: ReadonlySet<string>): { alg: Algorithm; kid: string } {
  const { alg, typ, kid } = header;
  // `none` and HS* can never be in the allow-list (options refuse them), so
  // algorithm confusion with a public key as an HMAC secret stops here.
  if (typeof alg !== "string" || !algorithms.has(alg)) throw new VerifyError("ERR_ALG_NOT_ALLOWED", { claim: "alg" });
  if (header.crit !== undefined) throw new VerifyError("ERR_CRIT_UNSUPPORTED", { claim: "crit" });
  if (typeof typ !== "string" || !isAccessTokenType(typ)) throw new VerifyError("ERR_TYP_INVALID", { claim: "typ" });
  if (typeof kid !== "string" || kid.length === 0 || kid.length > MAX_KID_LENGTH) {
    throw new VerifyError("ERR_KEY_NOT_FOUND", { claim: "kid", reason: "kid missing or not a short string" });
  }
  return { alg: alg as Algorithm, kid };
}

/** RFC 9068 §4: "at+jwt" or "application/at+jwt", compared without case. */
function isAccessTokenType(typ: string): boolean {
  const lower = typ.toLowerCase();
  return lower === "at+jwt" || lower === "application/at+jwt";
}

/** Decodes a base64url JSON object segment; any failure is a malformed token. */
export function decodeJson(backend: CryptoBackend, segment: string, what: "header" | "payload"): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(backend.decodeSegment(segment));
  } catch (cause) {
    throw new VerifyError("ERR_TOKEN_MALFORMED", { reason: `${what} is not base64url JSON`, cause });
  }
  if (!isObject(value)) throw new VerifyError("ERR_TOKEN_MALFORMED", { reason: `${what} is not a JSON object` });
  return value;
}
