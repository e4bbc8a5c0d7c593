/**
 * Loud by default: background failures and refusal reasons go to a logger
 * (console unless told otherwise; `logger: false` silences), each distinct
 * cause once, so a verifier that refuses every request says why without
 * flooding the log. Messages hold codes, claim names and URLs, never a token.
 */
import type { VerifyError } from "../errors.js";
import type { Verifier, VerifierLogger } from "../types.js";

export type LogOnce = (message: string) => void;

/** Distinct causes remembered; past it, the set starts over (a cause may then repeat once). */
const MAX_CAUSES = 200;

export const logOnceKey: unique symbol = Symbol("tessera.logOnce");

export function createLogOnce(logger: VerifierLogger | false | undefined): LogOnce {
  if (logger === false) return () => undefined;
  const sink = logger ?? console;
  const seen = new Set<string>();
  return (message) => {
    if (seen.has(message)) return;
    if (seen.size >= MAX_CAUSES) seen.clear();
    seen.add(message);
    sink.warn(`tessera/verify: ${message}`);
  };
}

/** An error and its chain of causes, one line. */
export function describeChain(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error, depth = 0; e !== undefined && depth < 4; depth++) {
    parts.push(e instanceof Error ? e.message : String(e));
    e = e instanceof Error ? e.cause : undefined;
  }
  return parts.join(": ");
}

/** Why a request was refused, with the fix where one is known. */
export function describeRefusal(error: VerifyError, audiences: readonly string[] | undefined): string {
  let message = `refused a request: ${error.code}`;
  if (error.claim) message += ` (${error.claim}${error.reason ? `: ${error.reason}` : ""})`;
  if (error.claim === "aud" && audiences) {
    message += `; this verifier accepts ${audiences.join(", ")}: register the API with \`tessera apis add ${audiences[0]} --scope …\` and ask for tokens with resource=${audiences[0]}`;
  }
  if (error.cause !== undefined) message += `: ${describeChain(error.cause)}`;
  return message;
}

/** The verifier's logger, for its adapters; undefined for a verifier from elsewhere. */
export function logOnceOf(verifier: Verifier): { log: LogOnce; audiences: readonly string[] } | undefined {
  return (verifier as { [logOnceKey]?: { log: LogOnce; audiences: readonly string[] } })[logOnceKey];
}
