/** Clients in Kysely; the lookup by id is a hot statement (every token request). */
import { prepared } from "../prepared.js";
import { changedOne, insertUnlessDuplicate, unmatchable, type StoreContext } from "../kysely-context.js";
import type { ClientRow, ClientStore } from "./client-store.js";

export function kyselyClientStore(ctx: StoreContext): ClientStore {
  const { db, hot } = ctx;
  const byId = prepared(1, (id: string) => db.selectFrom("clients").selectAll().where("id", "=", id));
  return {
    insertClient(client: ClientRow): Promise<boolean> {
      return insertUnlessDuplicate(ctx, () => db.insertInto("clients").values(client).execute());
    },

    async upsertClient(client: ClientRow): Promise<void> {
      const { id: _id, created_at: _created, ...rest } = client;
      await db.insertInto("clients").values(client).onConflict((oc) => oc.column("id").doUpdateSet(rest)).execute();
    },

    async findClient(id: string): Promise<ClientRow | undefined> {
      if (unmatchable(id)) return undefined;
      return (await byId(hot, id)).rows[0];
    },

    listClients(): Promise<ClientRow[]> {
      return db.selectFrom("clients").selectAll().orderBy("created_at").execute();
    },

    async updateClient(id: string, changes: Partial<Pick<ClientRow, "secret_hash" | "disabled_at">>): Promise<boolean> {
      return changedOne(await db.updateTable("clients").set(changes).where("id", "=", id).executeTakeFirst());
    },

    async deleteClient(id: string): Promise<boolean> {
      return changedOne(await db.deleteFrom("clients").where("id", "=", id).executeTakeFirst());
    },
  };
}
