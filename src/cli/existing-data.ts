/**
 * The CLI acts on the server's data, never on data of its own making: every
 * command but `serve` and `migrate` refuses a data folder, database or master
 * key that does not exist yet. Run without the server's TESSERA_DATA_DIR, a
 * command used to create `./data`, a master key and a database the running
 * server never saw, and answer success.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Config } from "../core/config.js";
import { MASTER_KEY_FILE } from "../core/api.js";

/** Throws, naming the path and the variable, when the command would act on data that is not there. */
export function requireExistingData(config: Config): void {
  if (config.databaseUrl) return; // PostgreSQL: a missing database fails to connect; nothing is created
  const dir = resolve(config.dataDir);
  const hint = "set TESSERA_DATA_DIR to the server's data folder (or DATABASE_URL), or run `tessera migrate` to create one";
  if (!existsSync(dir)) throw new Error(`no data folder at ${dir}: ${hint}`);
  const db = join(dir, "tessera.db");
  if (!existsSync(db)) throw new Error(`no database at ${db}: ${hint}`);
  if (config.masterKey === undefined && !existsSync(join(dir, MASTER_KEY_FILE))) {
    throw new Error(`no master key: neither TESSERA_MASTER_KEY nor ${join(dir, MASTER_KEY_FILE)} is set; use the server's`);
  }
}
