/** OAuth clients: registered ones and the built-in ones whose rows follow the code. */
import type { ClientsTable } from "../schema.js";

export type ClientRow = ClientsTable;

export interface ClientStore {
  /** Resolves false when the id is taken. */
  insertClient(client: ClientRow): Promise<boolean>;
  /** Inserts or refreshes a built-in client (its row follows the code). */
  upsertClient(client: ClientRow): Promise<void>;
  findClient(id: string): Promise<ClientRow | undefined>;
  listClients(): Promise<ClientRow[]>;
  /** Disables, enables or re-keys a client; resolves false when it does not exist. */
  updateClient(id: string, changes: Partial<Pick<ClientRow, "secret_hash" | "disabled_at">>): Promise<boolean>;
  /** Deletes a client row; resolves false when it does not exist. */
  deleteClient(id: string): Promise<boolean>;
}
