/** API resources in Kysely. */
import { changedOne, insertUnlessDuplicate, unmatchable, type StoreContext } from "../kysely-context.js";
import type { ApiResourceRow, ApiResourceStore } from "./api-resource-store.js";

export function kyselyApiResourceStore(ctx: StoreContext): ApiResourceStore {
  const { db } = ctx;
  return {
    insertApiResource(api: ApiResourceRow): Promise<boolean> {
      return insertUnlessDuplicate(ctx, () => db.insertInto("api_resources").values(api).execute());
    },

    async findApiResource(identifier: string): Promise<ApiResourceRow | undefined> {
      if (unmatchable(identifier)) return undefined;
      return db.selectFrom("api_resources").selectAll().where("identifier", "=", identifier).executeTakeFirst();
    },

    listApiResources(): Promise<ApiResourceRow[]> {
      return db.selectFrom("api_resources").selectAll().orderBy("identifier").execute();
    },

    async updateApiResource(identifier: string, changes: Partial<Pick<ApiResourceRow, "name" | "scopes" | "grants" | "updated_at">>): Promise<boolean> {
      return changedOne(await db.updateTable("api_resources").set(changes).where("identifier", "=", identifier).executeTakeFirst());
    },

    async deleteApiResource(identifier: string): Promise<boolean> {
      return changedOne(await db.deleteFrom("api_resources").where("identifier", "=", identifier).executeTakeFirst());
    },
  };
}
