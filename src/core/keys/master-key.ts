/**
 * The master key encrypts private signing keys at rest and, through HKDF, keys
 * every other server-side MAC (refresh-token successors, CSRF tokens). It comes
 * from TESSERA_MASTER_KEY or from `master.key` in the data folder, created on
 * first start readable by its owner only.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const MASTER_KEY_FILE = "master.key";

export interface MasterKeySource {
  masterKey: string | undefined;
  dataDir: string;
}

/** Loads (or, on first start, creates) the 32-byte master key. */
export function loadMasterKey(source: MasterKeySource): Buffer {
  if (source.masterKey !== undefined) return decodeKey(source.masterKey, "TESSERA_MASTER_KEY");
  const path = join(source.dataDir, MASTER_KEY_FILE);
  if (!existsSync(path)) {
    mkdirSync(source.dataDir, { recursive: true, mode: 0o700 });
    try {
      // "wx": never overwrite a key another process created a moment ago.
      writeFileSync(path, `${randomBytes(32).toString("base64url")}\n`, { mode: 0o600, flag: "wx" });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
  if ((statSync(path).mode & 0o077) !== 0) {
    throw new Error(`${path} is readable by other users; run: chmod 600 ${path}`);
  }
  return decodeKey(readFileSync(path, "utf8").trim(), path);
}

function decodeKey(encoded: string, where: string): Buffer {
  const key = Buffer.from(encoded, "base64url");
  if (key.length !== 32) throw new Error(`${where} must hold 32 bytes encoded as base64url`);
  return key;
}

/** A purpose-bound subkey, so no two uses of the master key share key material. */
export function deriveKey(master: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync("sha256", master, Buffer.alloc(0), `tessera ${purpose} v1`, 32));
}

/** AES-256-GCM envelope: "v1.<iv>.<ciphertext>.<tag>", bound to `aad` (e.g. the key id). */
export function seal(key: Buffer, plaintext: string, aad: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv, { authTagLength: 16 });
  cipher.setAAD(Buffer.from(aad));
  const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return ["v1", iv, ciphertext, cipher.getAuthTag()].map((p) => (typeof p === "string" ? p : p.toString("base64url"))).join(".");
}

/** Opens a `seal` envelope; throws if the key, the AAD or any byte is wrong. */
export function unseal(key: Buffer, envelope: string, aad: string): string {
  const [version, iv, ciphertext, tag] = envelope.split(".");
  if (version !== "v1" || !iv || !ciphertext || !tag) throw new Error("unknown envelope format");
  // authTagLength pins the tag at 16 bytes: GCM would otherwise accept a truncated (weaker) tag.
  const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"), { authTagLength: 16 });
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  return Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64url")), decipher.final()]).toString("utf8");
}
