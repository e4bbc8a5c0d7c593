/** Users: accounts, looked up by id, by username (its key and its look-alike skeleton) and by verified address. */
import type { UsersTable } from "../schema.js";
import type { EmailWrites } from "../email/email-store.js";
import type { SessionEnd } from "../sessions/session-store.js";

export type UserRow = UsersTable;

export interface UserListQuery {
  search?: string;
  limit: number;
  /** Return users whose username_key sorts after this one (keyset paging). */
  after?: string;
}

export interface UserStore {
  /** Inserts a user (with the email writes it causes, in one transaction); resolves false when the username is taken. */
  insertUser(user: UserRow, writes?: EmailWrites): Promise<boolean>;
  findUserById(id: string): Promise<UserRow | undefined>;
  findUserByUsernameKey(key: string): Promise<UserRow | undefined>;
  findUserBySkeleton(skeleton: string): Promise<UserRow | undefined>;
  /** The user whose verified address has this key (docs/email.md). */
  findUserByVerifiedEmail(key: string): Promise<UserRow | undefined>;
  /** Accounts left without a skeleton by migration 004 (look-alikes of older accounts). */
  listUsersWithoutSkeleton(): Promise<UserRow[]>;
  listUsers(query: UserListQuery): Promise<UserRow[]>;
  updateUser(id: string, changes: Partial<Omit<UserRow, "id" | "created_at">>): Promise<boolean>;
  /** Sets the password hash and ends every session of the user but `keepSessionId`; returns the ended ids. */
  changePassword(userId: string, passwordHash: string, keepSessionId: string | null, end: SessionEnd): Promise<string[]>;
}
