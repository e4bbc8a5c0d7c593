/** Reading a token's parts in tests (no verification: the tests that need it verify on their own). */

/** The `sid` claim of an access token: the session it belongs to. */
export function sidOf(accessToken: string): string {
  return JSON.parse(Buffer.from(accessToken.split(".")[1]!, "base64url").toString()).sid as string;
}

/** The `kid` header of an access token: the key that signed it. */
export function kidOf(accessToken: string): string {
  return JSON.parse(Buffer.from(accessToken.split(".")[0]!, "base64url").toString()).kid as string;
}

/** The claims of a JWT, unverified. */
export function decodeJwtPayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as Record<string, unknown>;
}
