/**
 * Signing keys: made on first start, kept in the store with the private part
 * sealed by the master key, published in JWKS, rotated as a list (the newest
 * active key signs; every published key verifies).
 *
 * Rotation publishes the next key `publishAheadMs` before it signs, so a
 * verifier that cached the JWKS just before the rotation already knows it; the
 * old key stays published until every token it signed has expired.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from "node:crypto";
import { calculateJwkThumbprint, type JWK } from "jose";
import type { SigningKeyRow, Store } from "../../store/index.js";
import type { SigningAlgorithm } from "../config.js";
import { seal, unseal } from "./master-key.js";

export interface KeyRingOptions {
  store: Store;
  /** AES key for private parts (derived from the master key). */
  sealingKey: Buffer;
  alg: SigningAlgorithm;
  /** How long a new key is published before it signs (at least the JWKS cache lifetime). */
  publishAheadMs: number;
  /** How long a token lives: how long a retired key stays published. */
  tokenLifetimeMs: number;
  now: () => number;
}

export interface PublicJwk extends JWK {
  kid: string;
  alg: string;
  use: "sig";
}

interface LoadedKey {
  row: SigningKeyRow;
  publicKey: KeyObject;
  privateKey?: KeyObject;
}

function generate(alg: SigningAlgorithm): { publicKey: KeyObject; privateKey: KeyObject } {
  switch (alg) {
    case "ES256": return generateKeyPairSync("ec", { namedCurve: "P-256" });
    case "RS256": return generateKeyPairSync("rsa", { modulusLength: 2048 });
    case "EdDSA": return generateKeyPairSync("ed25519");
  }
}

export class KeyRing {
  readonly #options: KeyRingOptions;
  #keys = new Map<string, LoadedKey>();
  #unknownKidReload: { at: number; done: Promise<void> } | undefined;

  /**
   * Called after this ring created, rotated or revoked a key, so that the other
   * instances reload at once (cluster/cluster-bus.ts) instead of at their next tick.
   */
  onChange: () => void = () => undefined;

  constructor(options: KeyRingOptions) {
    this.#options = options;
  }

  /**
   * A token names a kid this ring has never seen: another instance may have
   * created it since our last load (an emergency revocation signs with a new key
   * at once). Reloads from the store, at most once per 5 s of real time so that
   * forged kids cannot turn every request into a store read. True when the kid
   * is now published here.
   */
  async reloadForUnknownKid(kid: string): Promise<boolean> {
    if (this.#keys.has(kid)) return false;
    const now = Date.now();
    if (!this.#unknownKidReload || now - this.#unknownKidReload.at >= 5000) {
      this.#unknownKidReload = { at: now, done: this.load() };
    }
    await this.#unknownKidReload.done.catch(() => undefined);
    return this.verificationKey(kid) !== undefined;
  }

  /** Reads keys from the store; creates the first one if there is none for the configured algorithm. */
  async load(): Promise<void> {
    const rows = await this.#options.store.listSigningKeys();
    const next = new Map<string, LoadedKey>();
    for (const row of rows) {
      next.set(row.kid, this.#keys.get(row.kid) ?? { row, publicKey: createPublicKey({ key: JSON.parse(row.public_jwk) as JsonWebKey, format: "jwk" }) });
      next.get(row.kid)!.row = row;
    }
    this.#keys = next;
    if (!this.#pickSigningKey()) {
      // Nothing can sign right now (first start, or the algorithm changed): a key
      // that signs at once. Planned rotations go through rotate(), which publishes first.
      await this.#create(this.#options.now());
      this.onChange();
    }
    // Open the signing key now: a master key that did not seal it must stop the start, not fail the first sign-in.
    try {
      this.signingKey();
    } catch (error) {
      throw new Error("cannot decrypt the signing key: the master key (TESSERA_MASTER_KEY, or master.key in the data folder) is not the one that sealed it", { cause: error });
    }
  }

  /** Publishes a new key that starts signing after `publishAheadMs`; schedules the current one's retirement. */
  async rotate(): Promise<SigningKeyRow> {
    const now = this.#options.now();
    const activatesAt = now + this.#options.publishAheadMs;
    const created = await this.#create(activatesAt);
    await this.retireSuperseded();
    this.onChange();
    return created;
  }

  /**
   * Gives every superseded key its end: a key of the configured algorithm with
   * no retire time, for which a later unrevoked key exists, stops signing when
   * the first of those starts and leaves the JWKS a token lifetime after. Run by
   * every rotation and by the key tick: two rotations inside one publish window
   * (or two instances rotating at once) used to leave the middle key published
   * forever. Returns the kids it retired.
   */
  async retireSuperseded(): Promise<string[]> {
    const live = [...this.#keys.values()].filter((k) => k.row.alg === this.#options.alg && k.row.revoked_at === null);
    const retired: string[] = [];
    for (const key of live) {
      if (key.row.retires_at !== null) continue;
      const successors = live.filter((k) => k.row.activates_at > key.row.activates_at).map((k) => k.row.activates_at);
      if (successors.length === 0) continue;
      const retiresAt = Math.min(...successors);
      const changes = { retires_at: retiresAt, expires_at: retiresAt + this.#options.tokenLifetimeMs };
      await this.#options.store.updateSigningKey(key.row.kid, changes);
      Object.assign(key.row, changes);
      retired.push(key.row.kid);
    }
    return retired;
  }

  /** Refuses a key at once (compromise): its tokens stop verifying; a fresh key signs now. */
  async revoke(kid: string): Promise<void> {
    const now = this.#options.now();
    await this.#options.store.updateSigningKey(kid, { revoked_at: now, expires_at: now });
    await this.load();
    this.onChange();
  }

  /** Deletes keys whose last token has expired. Returns their kids. */
  async prune(): Promise<string[]> {
    const now = this.#options.now();
    const gone = [...this.#keys.values()].filter((k) => k.row.expires_at !== null && k.row.expires_at <= now).map((k) => k.row.kid);
    await this.#options.store.deleteSigningKeys(gone);
    for (const kid of gone) this.#keys.delete(kid);
    return gone;
  }

  /** The key that signs now: the newest active, unrevoked key of the configured algorithm. */
  signingKey(): { kid: string; alg: SigningAlgorithm; key: KeyObject } {
    const chosen = this.#pickSigningKey();
    if (!chosen) throw new Error("no signing key is active; call load() first");
    chosen.privateKey ??= createPrivateKey({
      key: JSON.parse(unseal(this.#options.sealingKey, chosen.row.private_enc, chosen.row.kid)) as JsonWebKey,
      format: "jwk",
    });
    return { kid: chosen.row.kid, alg: chosen.row.alg as SigningAlgorithm, key: chosen.privateKey };
  }

  /** A published key for verification, or undefined for an unknown, expired or revoked kid. */
  verificationKey(kid: string): { alg: SigningAlgorithm; key: KeyObject } | undefined {
    const loaded = this.#keys.get(kid);
    if (!loaded || !this.#isPublished(loaded.row)) return undefined;
    return { alg: loaded.row.alg as SigningAlgorithm, key: loaded.publicKey };
  }

  /** The JWKS document: every published key. */
  jwks(): { keys: PublicJwk[] } {
    const keys = [...this.#keys.values()].filter((k) => this.#isPublished(k.row))
      .map((k) => ({ ...(JSON.parse(k.row.public_jwk) as JWK), kid: k.row.kid, alg: k.row.alg, use: "sig" as const }));
    return { keys };
  }

  rows(): SigningKeyRow[] {
    return [...this.#keys.values()].map((k) => ({ ...k.row, private_enc: "<sealed>" }));
  }

  #isPublished(row: SigningKeyRow): boolean {
    const now = this.#options.now();
    return row.revoked_at === null && (row.expires_at === null || row.expires_at > now);
  }

  #pickSigningKey(): LoadedKey | undefined {
    const now = this.#options.now();
    let best: LoadedKey | undefined;
    for (const k of this.#keys.values()) {
      if (k.row.alg !== this.#options.alg || k.row.revoked_at !== null || k.row.activates_at > now) continue;
      if (k.row.retires_at !== null && k.row.retires_at <= now) continue; // superseded: never signs again
      if (k.row.expires_at !== null && k.row.expires_at <= now) continue;
      if (!best || k.row.activates_at > best.row.activates_at) best = k;
    }
    return best;
  }

  async #create(activatesAt: number): Promise<SigningKeyRow> {
    const { publicKey, privateKey } = generate(this.#options.alg);
    const publicJwk = publicKey.export({ format: "jwk" });
    const kid = await calculateJwkThumbprint(publicJwk as JWK, "sha256");
    const row: SigningKeyRow = {
      kid,
      alg: this.#options.alg,
      public_jwk: JSON.stringify(publicJwk),
      private_enc: seal(this.#options.sealingKey, JSON.stringify(privateKey.export({ format: "jwk" })), kid),
      created_at: this.#options.now(),
      activates_at: activatesAt,
      retires_at: null,
      expires_at: null,
      revoked_at: null,
    };
    await this.#options.store.insertSigningKey(row);
    this.#keys.set(kid, { row, publicKey, privateKey });
    return row;
  }
}
