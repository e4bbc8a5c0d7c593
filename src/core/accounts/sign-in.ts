/**
 * The password check shared by every sign-in path (the password grant and the
 * cookie login), so that both report the same events and fail the same way.
 */
import type { ClientRow, UserRow } from "../../store/index.js";
import { CredentialsRefused, TesseraError } from "../errors.js";
import type { AuthEvents, SignInOutcome } from "../events.js";
import type { RequestMeta } from "../sessions/session-service.js";
import { addressKey, ipKey, type Throttle } from "../abuse/throttle.js";
import type { UserService } from "./users.js";

export async function checkSignIn(
  deps: { users: UserService; events: AuthEvents; throttle?: Throttle | undefined },
  client: ClientRow,
  username: string,
  password: string,
  meta: RequestMeta,
): Promise<UserRow> {
  const attempt = () => deps.users.authenticate(username, password, { signal: meta.signal });
  try {
    // The throttle reserves its slots before the password is hashed, and keeps them only for credential failures.
    return await (deps.throttle ? deps.throttle.signIn(username, meta.ip, attempt) : attempt());
  } catch (error) {
    if (error instanceof TesseraError && error.code === "invalid_grant") {
      const outcome: SignInOutcome = error instanceof CredentialsRefused ? error.outcome : "invalid_credentials";
      // For the audit log: whose account was tried, when it exists (looked up on every failure, so the
      // answer takes the same time whether or not it does).
      const userId = (await deps.users.find(`username:${username.slice(0, 256)}`).catch(() => undefined))?.id;
      deps.events.emit("sign-in", { outcome, userId: outcome === "unknown_user" ? undefined : userId, clientId: client.id, ip: meta.ip, userAgent: meta.userAgent });
    }
    throw error;
  }
}

/**
 * The code check of an email-code sign-in, under the same sign-in throttle as a password
 * (per account and IP, per IP) and reporting the same events.
 */
export async function checkCodeSignIn(
  deps: { events: AuthEvents; throttle?: Throttle | undefined },
  client: ClientRow,
  email: string,
  check: () => Promise<UserRow>,
  meta: RequestMeta,
): Promise<UserRow> {
  try {
    // Failed codes per address (the throttle's email-code dimension) and per IP, reserved before the check;
    // the per-code attempt counter (email-service.ts) is the second, atomic limit.
    const limits = [
      { dimension: "emailCodeAccount" as const, key: addressKey(email), onSuccess: "reset" as const },
      { dimension: "signInIp" as const, key: ipKey(meta.ip) },
    ];
    return await (deps.throttle ? deps.throttle.guard(limits, check, (e) => e instanceof TesseraError && e.code === "invalid_grant") : check());
  } catch (error) {
    if (error instanceof TesseraError && error.code === "invalid_grant") {
      const outcome: SignInOutcome = error instanceof CredentialsRefused ? error.outcome : "invalid_credentials";
      deps.events.emit("sign-in", { outcome, clientId: client.id, ip: meta.ip, userAgent: meta.userAgent });
    }
    throw error;
  }
}

/** How a first step proved the user (RFC 8176 `amr` values). */
export type FirstStep = "pwd" | "otp";

/**
 * The one point where a successful first step (a password, an email code) may become a
 * session: every sign-in path calls it before starting one. Policy on the user goes here:
 * a verified address when TESSERA_REQUIRE_VERIFIED_EMAIL says so (and a second factor's
 * `mfa_required`, which belongs at this same point).
 */
export function admitFirstStep(policy: { requireVerifiedEmail?: boolean | undefined }, user: UserRow, _step: FirstStep): void {
  if (policy.requireVerifiedEmail && !user.email_verified_at) {
    throw new TesseraError("email_not_verified", "Verify your email address before signing in.");
  }
}
