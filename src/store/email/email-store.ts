/**
 * Email (docs/email.md): verified addresses, one-time email tokens and codes,
 * and the outbox. Every message is written in the same transaction as the
 * change that causes it; claims on the outbox are compare-and-sets with a lease,
 * so several instances never deliver one message at once.
 */
import type { PasswordResetRow } from "../resets/reset-store.js";
import type { EmailTokensTable, OutboxTable } from "../schema.js";

export type EmailTokenRow = EmailTokensTable;
export type OutboxRow = OutboxTable;

/** What one change writes besides itself: secrets and the messages that carry them. */
export interface EmailWrites {
  /** Earlier secrets of these purposes of the user go first: one live secret per purpose. */
  replace?: { userId: string; purposes: string[] };
  tokens?: EmailTokenRow[];
  /** A self-service password reset (it replaces the user's earlier reset tokens). */
  reset?: PasswordResetRow;
  messages?: OutboxRow[];
}

export type SpentEmailToken = { userId: string; email: string; emailKey: string; purpose: string };

export interface OutboxQuery {
  status?: string;
  limit: number;
  /** Rows created before this one's created_at/id (paging, newest first). */
  before?: number;
}

/** How a delivery attempt ended. */
export type OutboxOutcome =
  | { status: "sent"; at: number }
  | { status: "pending"; nextAttemptAt: number; error: string }
  | { status: "failed"; at: number; error: string };

export interface EmailStore {
  /** Writes secrets and the messages carrying them, together. */
  writeEmail(writes: EmailWrites): Promise<void>;
  findEmailToken(secretHash: string): Promise<EmailTokenRow | undefined>;
  /** Spends a verification token of one of `purposes` and verifies its address; "conflict" when the address is verified by another user. */
  spendVerification(secretHash: string, purposes: string[], now: number): Promise<SpentEmailToken | "conflict" | undefined>;
  /** Sets a verified address directly (an admin's act); false when another user holds this address verified. */
  markEmailVerified(userId: string, email: string, key: string, now: number): Promise<boolean>;
  /** Takes one attempt on the user's live code before it is compared (undefined: no live code, or no attempts left). */
  reserveCodeAttempt(userId: string, purpose: string, now: number, maxAttempts: number): Promise<Pick<EmailTokenRow, "id" | "secret_hash" | "email_key"> | undefined>;
  /** Spends a code after its check: true for the one request whose DELETE found the row. */
  spendCode(id: string, now: number): Promise<boolean>;
  /** Claims due outbox messages for `owner` until `leaseUntil` (each attempt counted). */
  claimOutbox(owner: string, now: number, leaseUntil: number, limit: number): Promise<OutboxRow[]>;
  /** Records the outcome of a delivery attempt; only the claim's owner may (false: the claim was lost). */
  settleOutbox(id: string, owner: string, outcome: OutboxOutcome): Promise<boolean>;
  /** Newest first. */
  listOutbox(query: OutboxQuery): Promise<OutboxRow[]>;
  /** Messages per status. */
  countOutbox(): Promise<Record<string, number>>;
  /** Deletes delivered messages older than `sentBefore`, failed ones older than `failedBefore`, and expired email secrets. */
  sweepEmail(sentBefore: number, failedBefore: number, now: number): Promise<{ messages: number; secrets: number }>;
}
