/**
 * The Store, written once in Kysely's query builder so SQLite and PostgreSQL run
 * the same statements: the composition of every aggregate's implementation over
 * one context. Dialect differences stay in the `StoreDialect` (kysely-context.ts)
 * the dialect's corner passes in (sqlite/, postgres/).
 */
import type { Kysely } from "kysely";
import { kyselyApiResourceStore } from "./api-resources/kysely-api-resource-store.js";
import { kyselyAuditStore } from "./audit/kysely-audit-store.js";
import { kyselyClientStore } from "./clients/kysely-client-store.js";
import { kyselyEmailStore } from "./email/kysely-email-store.js";
import { kyselyFactorStore } from "./factors/kysely-factor-store.js";
import { kyselyKeyStore } from "./keys/kysely-key-store.js";
import { storeContext, type StoreDialect } from "./kysely-context.js";
import { kyselyHighWaterMarkStore } from "./marks/kysely-high-water-mark-store.js";
import { kyselyResetStore } from "./resets/kysely-reset-store.js";
import type { Database } from "./schema.js";
import { kyselySessionStore } from "./sessions/kysely-session-store.js";
import type { Store } from "./store.js";
import { kyselyUserStore } from "./users/kysely-user-store.js";

export type { StoreDialect } from "./kysely-context.js";

export function createKyselyStore(db: Kysely<Database>, dialect: StoreDialect): Store {
  const ctx = storeContext(db, dialect);
  return {
    dialect: dialect.name,
    ...kyselyUserStore(ctx),
    ...kyselyClientStore(ctx),
    ...kyselyApiResourceStore(ctx),
    ...kyselyKeyStore(ctx),
    ...kyselySessionStore(ctx),
    ...kyselyHighWaterMarkStore(ctx),
    ...kyselyAuditStore(ctx),
    ...kyselyResetStore(ctx),
    ...kyselyEmailStore(ctx),
    factors: kyselyFactorStore(ctx),

    isUnavailable: (error) => dialect.isUnavailable(error),

    async ping(): Promise<void> {
      await db.selectFrom("tessera_migrations" as "users").select((eb) => eb.lit(1).as("one")).limit(1).execute();
    },

    async close(): Promise<void> {
      await db.destroy();
      await dialect.onClose?.();
    },
  };
}
