/**
 * The list of common and breached passwords that sign-up and password changes
 * refuse (NIST SP 800-63B §5.1.1.2). Built in memory, once, on first use, from
 * what ships with the project (docs/security.md, "Password policy"):
 *
 * 1. the 49,233 most common passwords of the xato leak corpus (10 million
 *    real passwords from public breaches), as packaged by @zxcvbn-ts/language-common (MIT);
 * 2. the variants people make of the most common ones when a site asks for
 *    8 characters: trailing digits, years and symbols, leetspeak, doubling;
 * 3. keyboard walks, sequences and repeated characters.
 *
 * Only entries of 8 to 128 characters are kept (shorter ones fail the length
 * rule anyway), lower-cased: the check ignores case, so "PASSWORD1" and
 * "Password1" are refused with "password1". A Set: one hash lookup per check.
 */
import { dictionary } from "@zxcvbn-ts/language-common";

const SUFFIXES = ["1", "12", "123", "1234", "12345", "123456", "1234567", "!", "!!", "1!", "123!", "!@#", "@", "#", ".", "*", "01", "00", "007", "11", "13", "21", "22", "69", "77", "88", "99", "2", "3", "7"];
const YEARS = Array.from({ length: 2030 - 1960 }, (_, i) => String(1960 + i));
const LEET: Array<Record<string, string>> = [
  { a: "@", e: "3", i: "1", o: "0", s: "$" },
  { a: "4", e: "3", i: "1", o: "0", s: "5", t: "7" },
  { a: "@", o: "0" },
  { o: "0" },
];
const ROWS = ["`1234567890-=", "qwertyuiop[]", "asdfghjkl;'", "zxcvbnm,./", "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p", "qazwsxedcrfvtgbyhnujmikolp", "abcdefghijklmnopqrstuvwxyz", "01234567890", "qwertzuiop", "azertyuiop"];

/** How many of the ranked base passwords get each family of variants. */
const TOP_SUFFIXED = 2500;
const TOP_YEARS = 500;
const TOP_LEET = 4000;
const TOP_DOUBLED = 4000;

function leet(word: string, table: Record<string, string>): string {
  return [...word].map((c) => table[c] ?? c).join("");
}

function* variants(ranked: readonly string[]): Generator<string> {
  for (const [rank, word] of ranked.entries()) {
    yield word;
    if (rank < TOP_SUFFIXED) for (const s of SUFFIXES) yield word + s;
    if (rank < TOP_YEARS) for (const y of YEARS) { yield word + y; yield word + y.slice(2); }
    if (rank < TOP_LEET) for (const t of LEET) { const l = leet(word, t); yield l; yield `${l}1`; yield `${l}!`; }
    if (rank < TOP_DOUBLED && word.length <= 10) yield word + word;
  }
  for (const row of ROWS) {
    for (const line of [row, [...row].reverse().join("")]) {
      for (let start = 0; start < line.length; start++) for (let end = start + 8; end <= line.length; end++) yield line.slice(start, end);
    }
  }
  for (const c of "abcdefghijklmnopqrstuvwxyz0123456789!@#$%^&*.-_ ") for (let n = 8; n <= 32; n++) yield c.repeat(n);
  for (let a = 0; a <= 9; a++) for (let b = 0; b <= 9; b++) for (let n = 4; n <= 8; n++) yield `${a}${b}`.repeat(n);
}

let list: Set<string> | undefined;

/** The list (built on first call, in about a tenth of a second). */
export function commonPasswords(): ReadonlySet<string> {
  if (!list) {
    const ranked = (dictionary as Record<string, string[]>)["passwords-common"] ?? [];
    list = new Set();
    for (const entry of variants(ranked.map((w) => w.toLowerCase()))) {
      const length = [...entry].length;
      if (length >= 8 && length <= 128) list.add(entry);
    }
  }
  return list;
}

/** True when the (normalised) password is on the list, ignoring case. */
export function isCommonPassword(password: string): boolean {
  return commonPasswords().has(password.normalize("NFKC").toLowerCase());
}
