/**
 * Password hashing: argon2id through @node-rs/argon2, which runs on libuv's
 * thread pool so the event loop stays free. A small gate bounds how many hashes
 * run at once: on a 2-core machine, two concurrent hashes would take both cores
 * from the event loop, and every request (not just sign-ins) would wait.
 */
import { availableParallelism } from "node:os";
import { hash, parseOptions, verify } from "@node-rs/argon2";
import { isCommonPassword } from "./common-passwords.js";
import { Gate } from "./gate.js";
import { usernameKey } from "./usernames.js";

export interface PasswordPolicy {
  memoryKib: number;
  iterations: number;
  parallelism: number;
  /** Hashes running at once; the rest queue. Default: cores - 1 (at least 1). */
  concurrency?: number;
}

export interface PasswordCheck {
  ok: boolean;
  /** The stored hash uses weaker parameters than the policy: store a new one. */
  needsRehash: boolean;
}

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;

export class PasswordHasher {
  readonly #policy: PasswordPolicy;
  readonly #gate: Gate;
  #dummyHash: Promise<string> | undefined;

  constructor(policy: PasswordPolicy) {
    this.#policy = policy;
    this.#gate = new Gate(policy.concurrency ?? Math.max(1, availableParallelism() - 1));
  }

  /** Hashes waiting for a slot (exported as a metric). */
  get queueDepth(): number {
    return this.#gate.waiting;
  }

  get running(): number {
    return this.#gate.running;
  }

  hash(password: string): Promise<string> {
    const { memoryKib, iterations, parallelism } = this.#policy;
    return this.#gate.run(() => hash(password.normalize("NFKC"), { memoryCost: memoryKib, timeCost: iterations, parallelism }));
  }

  async verify(storedHash: string, password: string): Promise<PasswordCheck> {
    const ok = await this.#gate.run(() => verify(storedHash, password.normalize("NFKC")).catch(() => false));
    return { ok, needsRehash: ok && this.#isWeakerThanPolicy(storedHash) };
  }

  /**
   * Burns the same work as a real verification, for an unknown username, so the
   * answer's timing does not reveal whether the account exists.
   */
  async verifyDummy(password: string): Promise<void> {
    this.#dummyHash ??= this.hash("tessera-dummy-password-never-matches");
    await this.verify(await this.#dummyHash, password);
  }

  #isWeakerThanPolicy(storedHash: string): boolean {
    try {
      const used = parseOptions(storedHash);
      return used.memoryCost < this.#policy.memoryKib || used.timeCost < this.#policy.iterations
        || used.parallelism !== this.#policy.parallelism || used.algorithm !== 2; // 2 = argon2id
    } catch {
      return true;
    }
  }
}

/**
 * The password policy (NIST SP 800-63B §5.1.1.2): 8 to 128 characters after
 * normalisation, no composition rules; not on the list of common and breached
 * passwords; not the username (or containing it) nor the service's name.
 */
export function passwordProblem(password: string, context: { username?: string } = {}): string | undefined {
  // An unpaired surrogate reaches argon2 as U+FFFD: two different passwords would hash alike.
  if (/\p{Cs}/u.test(password)) return "must be valid Unicode text";
  const length = [...password.normalize("NFKC")].length;
  if (length < PASSWORD_MIN_LENGTH) return `must be at least ${PASSWORD_MIN_LENGTH} characters`;
  if (length > PASSWORD_MAX_LENGTH) return `must be at most ${PASSWORD_MAX_LENGTH} characters`;
  if (isCommonPassword(password)) return "is too common (it is on a list of common and breached passwords); choose a longer or less predictable one";
  const folded = password.normalize("NFKC").toLowerCase();
  const name = context.username === undefined ? "" : usernameKey(context.username);
  if (name.length >= 3 && folded.includes(name)) return "must not contain the username";
  if (folded.includes("tessera")) return "must not contain the name of this service";
  return undefined;
}
