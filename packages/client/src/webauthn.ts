// The browser's WebAuthn ceremonies with the server's JSON options in and the
// credential's JSON out. The WebAuthn Level 3 helpers
// (`PublicKeyCredential.parseCreationOptionsFromJSON`, `…RequestOptionsFromJSON`,
// `credential.toJSON()`) do the work where the browser has them; elsewhere
// (Safari before 18.4) a few lines convert the base64url fields by hand.
import { TesseraError } from "./errors.js";
import type { WebAuthnCeremonies } from "./types.js";

type Json = Record<string, unknown>;

const bytes = (text: string): ArrayBuffer =>
  Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0)).buffer;

const text = (value: unknown): unknown =>
  value instanceof ArrayBuffer
    ? btoa(String.fromCharCode(...new Uint8Array(value))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")
    : value;

/** The options' base64url fields as the bytes `navigator.credentials` wants. */
function decoded(options: Json): Json {
  const ids = (list: unknown) => (list as Json[] | undefined)?.map((c) => ({ ...c, id: bytes(c.id as string) }));
  const user = options.user as Json | undefined;
  return {
    ...options,
    challenge: bytes(options.challenge as string),
    ...(user && { user: { ...user, id: bytes(user.id as string) } }),
    ...(options.excludeCredentials ? { excludeCredentials: ids(options.excludeCredentials) } : {}),
    ...(options.allowCredentials ? { allowCredentials: ids(options.allowCredentials) } : {}),
  };
}

/** The credential as WebAuthn Level 3's `toJSON()` writes it. */
function encoded(credential: PublicKeyCredential): Json {
  if (typeof credential.toJSON === "function") return credential.toJSON() as unknown as Json;
  const response = credential.response as AuthenticatorAttestationResponse & AuthenticatorAssertionResponse;
  const fields: Json = {};
  for (const name of ["clientDataJSON", "attestationObject", "authenticatorData", "signature", "userHandle"] as const) {
    if (response[name]) fields[name] = text(response[name]);
  }
  if (response.getTransports) fields.transports = response.getTransports();
  return {
    id: credential.id,
    rawId: text(credential.rawId),
    type: credential.type,
    authenticatorAttachment: credential.authenticatorAttachment,
    clientExtensionResults: credential.getClientExtensionResults(),
    response: fields,
  };
}

/** The browser's `navigator.credentials`; `webauthn_unavailable` where there is none (Node, an old browser). */
export const browserWebAuthn: WebAuthnCeremonies = {
  async create(options) {
    const pkc = globalThis.PublicKeyCredential;
    if (!pkc) throw new TesseraError("webauthn_unavailable", "this environment has no WebAuthn");
    const publicKey = pkc.parseCreationOptionsFromJSON?.(options as never) ?? decoded(options);
    return encoded((await navigator.credentials.create({ publicKey } as CredentialCreationOptions)) as PublicKeyCredential);
  },
  async get(options, mediation, signal) {
    const pkc = globalThis.PublicKeyCredential;
    if (!pkc) throw new TesseraError("webauthn_unavailable", "this environment has no WebAuthn");
    const publicKey = pkc.parseRequestOptionsFromJSON?.(options as never) ?? decoded(options);
    return encoded((await navigator.credentials.get({ publicKey, mediation, signal } as CredentialRequestOptions)) as PublicKeyCredential);
  },
};
