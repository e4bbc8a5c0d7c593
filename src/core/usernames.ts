/**
 * Usernames are compared after Unicode NFKC normalisation, trimming and case
 * folding, so "Alice", "ALICE" and "Ａｌｉｃｅ" (full-width) are one account.
 */
const ALLOWED = /^[\p{L}\p{N}._\-@+]+$/u;

export interface NormalisedUsername {
  /** As the user typed it, NFKC-normalised and trimmed: what we display. */
  display: string;
  /** The unique key. */
  key: string;
}

/** Returns the normalised username, or a problem description. */
export function normaliseUsername(raw: string): NormalisedUsername | { problem: string } {
  const display = raw.normalize("NFKC").trim();
  const length = [...display].length;
  if (length < 3 || length > 64) return { problem: "must be 3 to 64 characters" };
  if (!ALLOWED.test(display)) return { problem: "may contain only letters, digits and . _ - @ +" };
  return { display, key: display.toLowerCase().normalize("NFKC") };
}

/** The lookup key for a sign-in attempt; never fails (a bad name simply matches nobody). */
export function usernameKey(raw: string): string {
  return raw.normalize("NFKC").trim().toLowerCase().normalize("NFKC");
}
