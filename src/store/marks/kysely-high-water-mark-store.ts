/** High-water marks in Kysely: one upsert whose conflict branch keeps the larger value. */
import { sql } from "kysely";
import type { StoreContext } from "../kysely-context.js";
import type { HighWaterMarkStore } from "./high-water-mark-store.js";

export function kyselyHighWaterMarkStore({ db }: StoreContext): HighWaterMarkStore {
  return {
    async raiseHighWaterMark(name: string, value: number): Promise<number> {
      const row = await db.insertInto("high_water_marks").values({ name, value })
        .onConflict((oc) => oc.column("name").doUpdateSet({
          value: sql<number>`CASE WHEN excluded.value > high_water_marks.value THEN excluded.value ELSE high_water_marks.value END`,
        }))
        .returning("value").executeTakeFirstOrThrow();
      return Number(row.value);
    },
  };
}
