/**
 * Brute-force, credential-stuffing and flooding throttles (docs/security.md):
 *
 * - failed sign-ins per account *and* IP: the tight limit (a few guesses, then
 *   exponential backoff). Keyed with the IP, so an attacker elsewhere cannot
 *   lock the real user out; a successful sign-in from that IP resets it;
 * - failed sign-ins per IP, any account: the looser limit that stops one
 *   address from spraying many accounts (a success does not reset it);
 * - registrations per IP (every attempt counts: a taken name is also a probe);
 * - failed token redemptions per IP (refresh and password-reset tokens);
 * - for the second factor and email sign-in: failed second-factor attempts and
 *   failed email codes per account, emails sent per address and per IP.
 *
 * Every dimension is one `Backoff`, and every attempt reserves its slot in each
 * dimension it is limited by *before* the work (`reserve`, or `guard` around a
 * function), so concurrent attempts cannot all pass a check made before any of
 * them was counted. Blocked attempts are refused before the password is
 * hashed, so an attacker cannot spend our CPU either. IPv6 clients are keyed by
 * their /64, since one host usually owns the whole prefix.
 */
import type { Config } from "../config.js";
import { Backoff, openCounters, type BackoffPolicy, type CounterStore, type Slot } from "./backoff.js";
import { TesseraError } from "../errors.js";
import { usernameKey } from "../accounts/usernames.js";

export type { Slot } from "./backoff.js";

/** Every throttled dimension, with the name its counters have in the store. */
export const DIMENSIONS = {
  signInAccount: "signin-account",
  signInIp: "signin-ip",
  registerIp: "register-ip",
  tokenIp: "token-ip",
  secondFactorAccount: "second-factor-account",
  emailCodeAccount: "email-code-account",
  emailSendAddress: "email-send-address",
  emailSendIp: "email-send-ip",
} as const;

export type Dimension = keyof typeof DIMENSIONS;

export type ThrottlePolicy = Record<Dimension, BackoffPolicy>;

export function throttlePolicy(config: Config): ThrottlePolicy {
  const timing = { windowSeconds: config.throttleWindowSeconds, baseDelaySeconds: config.throttleBaseDelaySeconds, maxDelaySeconds: config.throttleMaxDelaySeconds };
  return {
    signInAccount: { free: config.throttleSignInAccount, ...timing },
    signInIp: { free: config.throttleSignInIp, ...timing },
    registerIp: { free: config.throttleRegisterIp, ...timing },
    tokenIp: { free: config.throttleTokenIp, ...timing },
    secondFactorAccount: { free: config.throttleSecondFactorAccount, ...timing },
    emailCodeAccount: { free: config.throttleEmailCodeAccount, ...timing },
    emailSendAddress: { free: config.throttleEmailSendAddress, ...timing },
    emailSendIp: { free: config.throttleEmailSendIp, ...timing },
  };
}

/** The key of a client address: IPv4 as is, IPv6 by its /64 prefix. */
export function ipKey(ip: string | undefined): string {
  if (!ip) return "unknown";
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (!ip.includes(":")) return ip;
  const [head = "", tail = ""] = ip.split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = ip.includes("::") ? [...left, ...Array<string>(8 - left.length - right.length).fill("0"), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.toLowerCase().replace(/^0+(?=.)/, "")).join(":")}::/64`;
}

/** The key of an email address: compared without case, so `Bob@x` and `bob@X` share one limit. */
export function addressKey(address: string): string {
  return address.normalize("NFKC").trim().toLowerCase().slice(0, 320);
}

/** One limit an attempt runs under, and what a success does to it. */
export interface Limit {
  dimension: Dimension;
  key: string;
  /** On success: `release` (default: only failures count), `keep` (every attempt counts), `reset` (forget the key). */
  onSuccess?: "release" | "keep" | "reset";
}

function tooMany(seconds: number, detail: string): TesseraError {
  return new TesseraError("too_many_requests", "Too many attempts. Try again later.", { retryAfter: Math.max(1, seconds), detail });
}

const isRefusal = (code: string) => (error: unknown) => error instanceof TesseraError && error.code === code;
/** The server could not do the work (e.g. the hashing queue is full): never the caller's guess. */
const isOurs = isRefusal("temporarily_unavailable");

export class Throttle {
  readonly #dimensions: Record<Dimension, Backoff>;

  constructor(policy: ThrottlePolicy, store: CounterStore = {}, now: () => number = Date.now) {
    const counters = openCounters(store);
    const entries = (Object.keys(DIMENSIONS) as Dimension[]).map((d) => {
      if (!policy[d]) throw new TypeError(`the throttle policy lacks the dimension ${d}`);
      return [d, new Backoff(DIMENSIONS[d], policy[d], counters, now)] as const;
    });
    this.#dimensions = Object.fromEntries(entries) as Record<Dimension, Backoff>;
  }

  /**
   * Reserves one attempt in one dimension, before the work; throws `too_many_requests`
   * (429, `retryAfter` seconds) when the key is blocked or its free attempts are all
   * taken by attempts in flight. Settle the slot once: `keep`, `release` or `reset`.
   */
  async reserve(dimension: Dimension, key: string): Promise<Slot> {
    const reservation = await this.#dimensions[dimension].reserve(key);
    if (!reservation.ok) throw tooMany(reservation.retryAfter, `${DIMENSIONS[dimension]} throttled`);
    return reservation.slot;
  }

  /**
   * Runs `attempt` under every limit: all slots are reserved first (none is kept
   * if one is refused), then settled by the outcome. A failure for which `counts`
   * is true keeps every slot; any other failure releases them, and so does
   * `temporarily_unavailable` always (the server's trouble, not a guess).
   */
  async guard<T>(limits: Limit[], attempt: () => Promise<T>, counts: (error: unknown) => boolean = () => true): Promise<T> {
    const reservations = await Promise.all(limits.map((l) => this.#dimensions[l.dimension].reserve(l.key)));
    const refused = reservations.flatMap((r, i) => (r.ok ? [] : [{ retryAfter: r.retryAfter, dimension: limits[i]!.dimension }]));
    const slots = reservations.flatMap((r) => (r.ok ? [r.slot] : []));
    if (refused.length > 0) {
      await Promise.all(slots.map((s) => s.release()));
      const worst = refused.reduce((a, b) => (b.retryAfter > a.retryAfter ? b : a));
      throw tooMany(worst.retryAfter, `${DIMENSIONS[worst.dimension]} throttled`);
    }
    let result: T;
    try {
      result = await attempt();
    } catch (error) {
      const keep = !isOurs(error) && counts(error);
      await Promise.all(slots.map((s) => (keep ? s.keep() : s.release())));
      throw error;
    }
    await Promise.all(slots.map((s, i) => s[limits[i]!.onSuccess ?? "release"]()));
    return result;
  }

  /**
   * Runs a password check under the sign-in limits; every sign-in path goes through here, and so
   * does the current-password check of a password change (a stolen access token must not become
   * an unthrottled password oracle), whose refusal is `invalid_credentials`.
   */
  signIn<T>(username: string, ip: string | undefined, attempt: () => Promise<T>, refusalCode = "invalid_grant"): Promise<T> {
    const address = ipKey(ip);
    return this.guard([
      { dimension: "signInAccount", key: `${usernameKey(username.slice(0, 256))}\n${address}`, onSuccess: "reset" },
      { dimension: "signInIp", key: address },
    ], attempt, isRefusal(refusalCode));
  }

  /**
   * Every registration counts, taken names included; a name or password refused for its
   * shape (`invalid_request`) does not: it is refused before any hash or store work and
   * tells nothing about anyone, and a person fixing typos should not be kept waiting.
   */
  registration<T>(ip: string | undefined, attempt: () => Promise<T>): Promise<T> {
    return this.guard([{ dimension: "registerIp", key: ipKey(ip), onSuccess: "keep" }], attempt, (e) => !(e instanceof TesseraError && e.code === "invalid_request"));
  }

  /** Refresh and reset tokens: only refused tokens count (a 256-bit token is not guessed; a flood of bad ones is abuse). */
  tokenRedemption<T>(ip: string | undefined, attempt: () => Promise<T>, refusalCode = "invalid_grant"): Promise<T> {
    return this.guard([{ dimension: "tokenIp", key: ipKey(ip) }], attempt, isRefusal(refusalCode));
  }
}
