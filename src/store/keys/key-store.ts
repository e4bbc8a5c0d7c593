/** Signing keys: the public JWK and the sealed private key of each, with its schedule. */
import type { SigningKeysTable } from "../schema.js";

export type SigningKeyRow = SigningKeysTable;

export interface KeyStore {
  insertSigningKey(key: SigningKeyRow): Promise<void>;
  /** In activation order. */
  listSigningKeys(): Promise<SigningKeyRow[]>;
  updateSigningKey(kid: string, changes: Partial<Pick<SigningKeyRow, "retires_at" | "expires_at" | "revoked_at" | "activates_at">>): Promise<void>;
  deleteSigningKeys(kids: string[]): Promise<void>;
}
