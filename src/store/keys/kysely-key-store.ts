/** Signing keys in Kysely. */
import type { StoreContext } from "../kysely-context.js";
import type { KeyStore, SigningKeyRow } from "./key-store.js";

export function kyselyKeyStore({ db }: StoreContext): KeyStore {
  return {
    async insertSigningKey(key: SigningKeyRow): Promise<void> {
      await db.insertInto("signing_keys").values(key).execute();
    },

    listSigningKeys(): Promise<SigningKeyRow[]> {
      return db.selectFrom("signing_keys").selectAll().orderBy("activates_at").orderBy("created_at").execute();
    },

    async updateSigningKey(kid: string, changes: Partial<Pick<SigningKeyRow, "retires_at" | "expires_at" | "revoked_at" | "activates_at">>): Promise<void> {
      await db.updateTable("signing_keys").set(changes).where("kid", "=", kid).execute();
    },

    async deleteSigningKeys(kids: string[]): Promise<void> {
      if (kids.length > 0) await db.deleteFrom("signing_keys").where("kid", "in", kids).execute();
    },
  };
}
