/** Password resets: single-use tokens (by hash) that set a new password and end every session. */
import type { PasswordResetsTable } from "../schema.js";
import type { SessionEnd } from "../sessions/session-store.js";

export type PasswordResetRow = PasswordResetsTable;

export interface ResetStore {
  /**
   * Forced reset: sets an unguessable password hash, replaces any earlier reset
   * token of the user with this one, and ends every session — together.
   */
  forcePasswordReset(reset: PasswordResetRow, passwordHash: string, end: SessionEnd): Promise<string[]>;
  /**
   * Spends a reset token: if it exists and has not expired at `end.now`, deletes it,
   * sets the new hash and ends every session of its user — together. Undefined otherwise.
   */
  consumePasswordReset(tokenHash: string, passwordHash: string, end: SessionEnd): Promise<{ userId: string; ended: string[] } | undefined>;
  findPasswordReset(tokenHash: string): Promise<PasswordResetRow | undefined>;
}
