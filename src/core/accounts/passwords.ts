/**
 * Password hashing: argon2id through @node-rs/argon2, computed on worker
 * threads of our own (a piscina pool) so the event loop stays free.
 *
 * Two limits keep hashing from starving every other request. A gate bounds how
 * many hashes run at once (on a 2-core machine, two concurrent hashes would take
 * both cores from the event loop). And on Linux the hashing threads run at a
 * lower scheduling priority (`nice`, per thread there): when the CPU is free they
 * hash at full speed, when API requests compete for it the requests go first and
 * sign-ins absorb the wait. Measured trade-off: docs/performance.md.
 *
 * The queue in front of the gate is bounded (default 4 × the concurrency): past
 * it a hash is refused at once with `503 temporarily_unavailable` and
 * `Retry-After`, instead of waiting behind a flood. A queued hash whose request
 * has closed (its `signal` aborted) leaves the queue without running.
 */
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { parseOptions } from "@node-rs/argon2";
import { Piscina } from "piscina";
import { isCommonPassword } from "./common-passwords.js";
import { TesseraError } from "../errors.js";
import { Gate, GateFullError } from "./gate.js";
import { usernameKey } from "./usernames.js";

export interface PasswordPolicy {
  memoryKib: number;
  iterations: number;
  parallelism: number;
  /** Hashes running at once; the rest queue. Default: cores - 1 (at least 1). */
  concurrency?: number;
  /** Hashes that may wait for a slot; more are refused. Default: 4 × concurrency. */
  queueLimit?: number;
  /** How much lower the hashing threads' priority is (nice increment, 0–19); applied on Linux only. */
  niceIncrement?: number;
}

export interface HashOptions {
  /** Aborted when the request closed: a hash still waiting for a slot is dropped. */
  signal?: AbortSignal | undefined;
}

/** Seconds a client is asked to wait when the hashing queue is full. */
export const HASH_QUEUE_RETRY_AFTER = 1;

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
  readonly #threads: number;
  readonly #worker: WorkerModule;
  #pool: Piscina | undefined;
  #dummyHash: Promise<string> | undefined;

  /** `worker` replaces the hashing module (tests use it to make a thread fail). */
  constructor(policy: PasswordPolicy, worker: WorkerModule = workerModule()) {
    this.#policy = policy;
    this.#worker = worker;
    this.#threads = policy.concurrency ?? Math.max(1, availableParallelism() - 1);
    this.#gate = new Gate(this.#threads, policy.queueLimit ?? 4 * this.#threads);
  }

  /** Hashes waiting for a slot (exported as a metric). */
  get queueDepth(): number {
    return this.#gate.waiting;
  }

  get running(): number {
    return this.#gate.running;
  }

  hash(password: string, options: HashOptions = {}): Promise<string> {
    const { memoryKib, iterations, parallelism } = this.#policy;
    const params = { memoryCost: memoryKib, timeCost: iterations, parallelism };
    return this.#admit(() => this.#run<string>({ op: "hash", password: password.normalize("NFKC"), options: params }), options.signal);
  }

  async verify(storedHash: string, password: string, options: HashOptions = {}): Promise<PasswordCheck> {
    const ok = await this.#admit(() => this.#run<boolean>({ op: "verify", storedHash, password: password.normalize("NFKC") }), options.signal);
    return { ok, needsRehash: ok && this.#isWeakerThanPolicy(storedHash) };
  }

  /** Through the gate; its refusals become the errors a route answers. */
  async #admit<T>(task: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    try {
      return await this.#gate.run(task, signal);
    } catch (error) {
      if (error instanceof GateFullError) {
        throw new TesseraError("temporarily_unavailable", "The server is busy checking passwords; try again shortly.", { retryAfter: HASH_QUEUE_RETRY_AFTER, detail: "password hashing queue full" });
      }
      if (signal?.aborted && error === signal.reason) {
        throw new TesseraError("temporarily_unavailable", "The request closed before its password was checked.", { detail: "request closed while waiting to hash", cause: error });
      }
      throw error;
    }
  }

  /** Ends the hashing threads (idle ones never keep the process alive). */
  async close(): Promise<void> {
    const pool = this.#pool;
    this.#pool = undefined;
    await pool?.destroy();
  }

  #run<T>(task: object): Promise<T> {
    // Started on first use: a CLI command or a test that never hashes starts no thread.
    this.#pool ??= this.#startPool();
    return this.#pool.run(task) as Promise<T>;
  }

  #startPool(): Piscina {
    const worker = this.#worker;
    const pool = new Piscina({
      filename: worker.filename,
      ...(worker.execArgv ? { execArgv: worker.execArgv } : {}),
      minThreads: 0,
      maxThreads: this.#threads,
      // Once started, a thread stays: starting one costs a sign-in tens of milliseconds.
      idleTimeout: Infinity,
      // Piscina's own run- and wait-time histograms: nothing reads them (the metrics
      // export the gate's queue), and each task recorded into them on the event loop.
      recordTiming: false,
      // macOS and the BSDs apply nice to the whole process, which would slow the event loop too.
      niceIncrement: process.platform === "linux" ? (this.#policy.niceIncrement ?? 0) : 0,
    });
    // A thread that cannot start is reported here, not to its task, which would wait
    // forever: end the pool (its tasks are rejected, the sign-ins answered 500) and
    // start a fresh one at the next hash. Without a listener the error would end the process.
    pool.on("error", () => {
      if (this.#pool === pool) this.#pool = undefined;
      void pool.destroy();
    });
    return pool;
  }

  /**
   * Burns the same work as a real verification, for an unknown username, so the
   * answer's timing does not reveal whether the account exists.
   */
  async verifyDummy(password: string, options: HashOptions = {}): Promise<void> {
    // A failed attempt is not kept: the next unknown username tries again (the pool may be back).
    this.#dummyHash ??= this.hash("tessera-dummy-password-never-matches").catch((error: unknown) => {
      this.#dummyHash = undefined;
      throw error;
    });
    await this.verify(await this.#dummyHash, password, options);
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

/** The module the hashing threads run, and the Node options they need for it. */
export interface WorkerModule {
  filename: string;
  execArgv?: string[];
}

/**
 * Compiled JavaScript next to this file, or, when this file runs as TypeScript
 * source (tests and benchmarks, through tsx), the source through tsx's require hook.
 */
function workerModule(): WorkerModule {
  const self = import.meta.url;
  if (!self.endsWith(".ts")) return { filename: fileURLToPath(new URL("./password-worker.cjs", self)) };
  return { filename: fileURLToPath(new URL("./password-worker.cts", self)), execArgv: ["--require", "tsx/cjs"] };
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
