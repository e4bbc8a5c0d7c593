// What the two modes (token, cookie) share, and the interface they implement.
import type { Core } from "./core.js";
import type { Session, StepUpChallenge, TokenRequest } from "./types.js";

export interface Context {
  core: Core;
  fetch: typeof fetch;
  /** Resolves a path against `baseUrl`; absolute URLs and Requests pass through. */
  url(input: RequestInfo | URL): RequestInfo | URL;
  /** Whether the request goes to `baseUrl`'s origin or one of `apiOrigins`: only those get credentials. */
  ours(request: Request): boolean;
  clientId: string;
  /** Refresh margin before expiry, in ms. */
  leeway: number;
  /** What sign-ins ask for unless told otherwise (`ClientOptions.scope`, `resource`). */
  ask: TokenRequest;
  /** `ClientOptions.onStepUp`. */
  onStepUp?: (challenge: StepUpChallenge) => Promise<void>;
}

export interface Mode {
  signIn(username: string, password: string, ask?: TokenRequest): Promise<Session>;
  /** A sign-in with the 6-digit code sent by `sendSignInCode`. */
  signInWithCode(email: string, code: string): Promise<Session>;
  signOut(): Promise<void>;
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
  refresh(ask?: TokenRequest): Promise<Session>;
  /** A usable access token (renewed first if due), or null in cookie mode. */
  accessToken(): Promise<string | null>;
  /**
   * Finishes a sign-in with the `mfa` (second step) or `passkey` (passwordless)
   * grant, or in cookie mode `/session/mfa` / `/session/passkey`, which take
   * the same fields; `webauthn` is the credential's JSON. `recoveryCodes`
   * when the sign-in enrolled the user's first factor (never stored).
   */
  finish(kind: "mfa" | "passkey", fields: Record<string, unknown>): Promise<{ session: Session; recoveryCodes?: string[] }>;
}

/** The `scope` and `resource` fields of a token request, those that are set. */
export function asked({ scope, resource }: TokenRequest): Record<string, string> {
  const fields: Record<string, string> = {};
  if (scope !== undefined) fields.scope = typeof scope === "string" ? scope : scope.join(" ");
  if (resource !== undefined) fields.resource = resource;
  return fields;
}

/** Form bodies are what RFC 6749 specifies for the token and revocation endpoints. */
export const form = (fields: Record<string, string>): RequestInit => ({
  method: "POST",
  body: new URLSearchParams(fields),
});

export const json = (method: string, body: unknown): RequestInit => ({
  method,
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});
