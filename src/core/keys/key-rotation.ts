/**
 * Key rotation as a schedule and as an operator's act (docs/keys.md):
 *
 * - `tick()` runs every minute on each server: it reloads the ring from the
 *   store (so a rotation or revocation made by the CLI or another instance is
 *   published here well within the JWKS cache lifetime), rotates when the
 *   signing key is older than TESSERA_KEY_ROTATION_DAYS and no rotation is
 *   already pending, and deletes keys whose last token has expired;
 * - `rotate()` publishes the next key before it signs (KeyRing.rotate);
 * - `revoke()` refuses a compromised key at once, cached tokens included.
 *
 * Two instances ticking at the same moment may both rotate; the cost is one
 * extra published key, which retires like any other. Within one instance, ticks
 * that overlap share one run, and a tick waits for a rotation in flight before
 * judging whether one is due: one new key, however many ask at once.
 */
import type { SigningKeyRow } from "../../store/index.js";
import { TesseraError } from "../errors.js";
import type { AuthEvents } from "../events.js";
import type { KeyRing } from "./key-ring.js";

const DAY = 86_400_000;

export interface KeyRotationOptions {
  keys: KeyRing;
  events: AuthEvents;
  now: () => number;
  /** Days a key signs before the schedule rotates it; 0: never. */
  rotationDays: number;
}

export class KeyRotation {
  readonly #o: KeyRotationOptions;
  #ticking: Promise<{ rotated?: string; deleted: string[] }> | undefined;
  #rotating: Promise<unknown> | undefined;

  constructor(options: KeyRotationOptions) {
    this.#o = options;
  }

  async rotate(actor: string): Promise<SigningKeyRow> {
    const previousKid = this.#o.keys.signingKey().kid;
    const rotation = this.#o.keys.rotate();
    const settled = rotation.catch(() => undefined);
    this.#rotating = settled;
    void settled.then(() => { if (this.#rotating === settled) this.#rotating = undefined; });
    const row = await rotation;
    this.#o.events.emit("key-rotated", { kid: row.kid, previousKid, actor });
    return row;
  }

  async revoke(kid: string, actor: string): Promise<void> {
    const row = this.#o.keys.rows().find((k) => k.kid === kid);
    if (!row || row.revoked_at !== null) throw new TesseraError("not_found", "No such signing key (or it is already revoked).");
    await this.#o.keys.revoke(kid);
    this.#o.events.emit("key-revoked", { kid, actor });
  }

  /** True when the signing key has signed for the rotation period and no successor is waiting to sign. */
  rotationDue(): boolean {
    if (this.#o.rotationDays <= 0) return false;
    const now = this.#o.now();
    const { kid, alg } = this.#o.keys.signingKey();
    const rows = this.#o.keys.rows();
    if (rows.some((k) => k.alg === alg && k.revoked_at === null && k.activates_at > now)) return false;
    const current = rows.find((k) => k.kid === kid);
    return current !== undefined && now - current.activates_at >= this.#o.rotationDays * DAY;
  }

  /** One step of the schedule (overlapping calls share one run). */
  tick(): Promise<{ rotated?: string; deleted: string[] }> {
    this.#ticking ??= this.#tick().finally(() => { this.#ticking = undefined; });
    return this.#ticking;
  }

  async #tick(): Promise<{ rotated?: string; deleted: string[] }> {
    await this.#rotating;
    await this.#o.keys.load();
    await this.#o.keys.retireSuperseded(); // mends a store where a superseded key never got its end
    const rotated = this.rotationDue() ? (await this.rotate("schedule")).kid : undefined;
    const deleted = await this.#o.keys.prune();
    if (deleted.length > 0) this.#o.events.emit("keys-deleted", { kids: deleted });
    return rotated === undefined ? { deleted } : { rotated, deleted };
  }
}
