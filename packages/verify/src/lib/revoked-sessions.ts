/**
 * Session ids the issuer has ended, each kept until no access token of that
 * session can still pass the clock check (its latest expiry plus the clock
 * tolerance), then dropped, so the set stays as small as the live revocations.
 */

export class RevokedSessions {
  /** sid → ms epoch after which the entry may go. */
  readonly #until = new Map<string, number>();
  readonly #toleranceMs: number;

  constructor(clockToleranceSeconds: number) {
    this.#toleranceMs = clockToleranceSeconds * 1000;
  }

  get size(): number { return this.#until.size; }

  /** `exp` in epoch seconds: the latest expiry of any access token of the session. */
  add(sid: string, exp: number, now: number): void {
    const until = exp * 1000 + this.#toleranceMs;
    if (until <= now) return;
    this.#until.set(sid, Math.max(until, this.#until.get(sid) ?? 0));
  }

  has(sid: string, now: number): boolean {
    const until = this.#until.get(sid);
    if (until === undefined) return false;
    if (until > now) return true;
    this.#until.delete(sid);
    return false;
  }

  prune(now: number): void {
    for (const [sid, until] of this.#until) if (until <= now) this.#until.delete(sid);
  }
}
