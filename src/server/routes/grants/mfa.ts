/** `grant_type=urn:tessera:params:oauth:grant-type:mfa`: the second step of a sign-in (docs/mfa.md). */
import type { SecondStepInput } from "../../../core/api.js";
import { TesseraError } from "../../../core/errors.js";
import { clientCredentials } from "../../shared/client-auth.js";
import { requestMeta } from "../../shared/request-meta.js";
import { requireField } from "./require-field.js";
import type { GrantHandler, TokenBody } from "./types.js";

export { MFA_GRANT } from "../../../core/api.js";

/** The WebAuthn assertion: a JSON object, or (form encoding) its JSON text. */
export function webauthnField(value: unknown): unknown {
  if (value === undefined || typeof value === "object") return value ?? undefined;
  if (typeof value !== "string") throw new TesseraError("invalid_request", "webauthn: must be the assertion as JSON");
  try {
    const parsed: unknown = JSON.parse(value);
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("not an object");
    return parsed;
  } catch {
    throw new TesseraError("invalid_request", "webauthn: must be the assertion as JSON");
  }
}

export function secondStepInput(body: Pick<TokenBody, "mfa_token" | "otp" | "recovery_code" | "webauthn">): SecondStepInput {
  return {
    mfaToken: requireField(body.mfa_token, "mfa_token"),
    otp: body.otp, recoveryCode: body.recovery_code, webauthn: webauthnField(body.webauthn),
  };
}

export const mfaGrant: GrantHandler = (tessera, request, body) =>
  tessera.mfa.tokenGrant(clientCredentials(request, body), secondStepInput(body), requestMeta(request));
