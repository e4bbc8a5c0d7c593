export type { Store, UserRow, ClientRow, SessionRow, SigningKeyRow, RefreshTokenLookup, Revocation, SessionEnd } from "./store.js";
export { KyselyStore } from "./kysely-store.js";
export { openSqliteStore } from "./sqlite/sqlite-store.js";
