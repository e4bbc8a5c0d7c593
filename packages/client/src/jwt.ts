// JWT decoding without verification, with web platform APIs only (no Buffer):
// the client reads its own token's timing claims; servers do the verifying.

/**
 * Decodes a JWT's header and claims without checking its signature. Returns
 * `null` for anything that is not a well-formed JWT (an opaque token, say).
 *
 * @example
 * ```ts
 * import { decodeJwt } from "tessera/client";
 * const jwt = decodeJwt(session.accessToken);
 * console.log(jwt?.header.kid, jwt?.claims.exp);
 * ```
 */
export function decodeJwt<C = Record<string, unknown>>(
  token: string,
): { header: Record<string, unknown>; claims: C } | null {
  const [header, claims] = token.split(".").slice(0, 2).map(decodePart);
  return header && claims ? { header, claims: claims as C } : null;
}

function decodePart(part: string): Record<string, unknown> | undefined {
  try {
    const binary = atob(part.replace(/-/g, "+").replace(/_/g, "/"));
    const value: unknown = JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))));
    return value && typeof value === "object" ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
