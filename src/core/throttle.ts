/**
 * Brute-force and credential-stuffing throttles (docs/security.md):
 *
 * - failed sign-ins per account *and* IP: the tight limit (a few guesses, then
 *   exponential backoff). Keyed with the IP, so an attacker elsewhere cannot
 *   lock the real user out; a successful sign-in from that IP resets it;
 * - failed sign-ins per IP, any account: the looser limit that stops one
 *   address from spraying many accounts (a success does not reset it);
 * - registrations per IP (every attempt counts: a taken name is also a probe);
 * - failed token redemptions per IP (refresh and password-reset tokens).
 *
 * Blocked attempts are refused before the password is hashed, so an attacker
 * cannot spend our CPU either. IPv6 clients are keyed by their /64, since one
 * host usually owns the whole prefix.
 */
import type { Config } from "./config.js";
import { Backoff, type BackoffPolicy, type CounterStore } from "./backoff.js";
import { TesseraError } from "./errors.js";
import { usernameKey } from "./usernames.js";

export interface ThrottlePolicy {
  signInAccount: BackoffPolicy;
  signInIp: BackoffPolicy;
  registerIp: BackoffPolicy;
  tokenIp: BackoffPolicy;
}

export function throttlePolicy(config: Config): ThrottlePolicy {
  const timing = { window: config.throttleWindow, baseDelay: config.throttleBaseDelay, maxDelay: config.throttleMaxDelay };
  return {
    signInAccount: { free: config.throttleSignInAccount, ...timing },
    signInIp: { free: config.throttleSignInIp, ...timing },
    registerIp: { free: config.throttleRegisterIp, ...timing },
    tokenIp: { free: config.throttleTokenIp, ...timing },
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

function tooMany(seconds: number, detail: string): TesseraError {
  return new TesseraError("too_many_requests", "Too many attempts. Try again later.", { retryAfter: Math.max(1, seconds), detail });
}

const isRefusal = (code: string) => (error: unknown) => error instanceof TesseraError && error.code === code;

export class Throttle {
  readonly signInAccount: Backoff;
  readonly signInIp: Backoff;
  readonly registerIp: Backoff;
  readonly tokenIp: Backoff;

  constructor(policy: ThrottlePolicy, store: CounterStore = {}) {
    this.signInAccount = new Backoff("signin-account", policy.signInAccount, store);
    this.signInIp = new Backoff("signin-ip", policy.signInIp, store);
    this.registerIp = new Backoff("register-ip", policy.registerIp, store);
    this.tokenIp = new Backoff("token-ip", policy.tokenIp, store);
  }

  /**
   * Runs a password check under the sign-in limits; every sign-in path goes through here, and so
   * does the current-password check of a password change (a stolen access token must not become
   * an unthrottled password oracle), whose refusal is `invalid_credentials`.
   */
  async signIn<T>(username: string, ip: string | undefined, attempt: () => Promise<T>, refusalCode = "invalid_grant"): Promise<T> {
    const address = ipKey(ip);
    const account = `${usernameKey(username.slice(0, 256))}\n${address}`;
    const wait = Math.max(await this.signInAccount.retryAfter(account), await this.signInIp.retryAfter(address));
    if (wait > 0) throw tooMany(wait, "sign-in throttled");
    try {
      const result = await attempt();
      await this.signInAccount.reset(account);
      return result;
    } catch (error) {
      if (isRefusal(refusalCode)(error)) await Promise.all([this.signInAccount.count(account), this.signInIp.count(address)]);
      throw error;
    }
  }

  /** Every registration attempt counts, taken names included. */
  async registration<T>(ip: string | undefined, attempt: () => Promise<T>): Promise<T> {
    const address = ipKey(ip);
    const wait = await this.registerIp.retryAfter(address);
    if (wait > 0) throw tooMany(wait, "registration throttled");
    await this.registerIp.count(address);
    return attempt();
  }

  /** Refresh and reset tokens: only refused tokens count (a 256-bit token is not guessed; a flood of bad ones is abuse). */
  async tokenRedemption<T>(ip: string | undefined, attempt: () => Promise<T>, refusalCode = "invalid_grant"): Promise<T> {
    const address = ipKey(ip);
    const wait = await this.tokenIp.retryAfter(address);
    if (wait > 0) throw tooMany(wait, "token redemption throttled");
    try {
      return await attempt();
    } catch (error) {
      if (isRefusal(refusalCode)(error)) await this.tokenIp.count(address);
      throw error;
    }
  }
}
