/** APIs that access tokens may be issued for (RFC 8707 resources). */
import type { ApiResourcesTable } from "../schema.js";

export type ApiResourceRow = ApiResourcesTable;

export interface ApiResourceStore {
  /** Registers an API; resolves false when the identifier is taken. */
  insertApiResource(api: ApiResourceRow): Promise<boolean>;
  findApiResource(identifier: string): Promise<ApiResourceRow | undefined>;
  listApiResources(): Promise<ApiResourceRow[]>;
  /** Resolves false when it does not exist. */
  updateApiResource(identifier: string, changes: Partial<Pick<ApiResourceRow, "name" | "scopes" | "grants" | "updated_at">>): Promise<boolean>;
  /** Resolves false when it does not exist. */
  deleteApiResource(identifier: string): Promise<boolean>;
}
