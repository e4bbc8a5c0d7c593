/**
 * Usernames, after Unicode Technical Standard #39 (docs/security.md, "Look-alike usernames"):
 *
 * - NFKC-normalised and trimmed: "Ａｌｉｃｅ" (full-width) is "Alice";
 * - letters, digits, combining marks and `. _ - @ +` only, and no default-ignorable
 *   or filler code point (U+3164 HANGUL FILLER is a "letter" that shows as blank);
 * - one script per name, at UTS #39's "moderately restrictive" level: `аlice` with a
 *   Cyrillic а is refused, `zoë`, `Андрей`, `山田`, `山田たろう` register;
 * - not shaped like a user id (a UUID), so "the user named X" is never another user's id;
 * - compared by full case folding (`straße` is `STRASSE`), the unique `username_key`;
 * - and by the confusable skeleton of the folded name, the unique `username_skeleton`:
 *   a name that looks like an existing one (`a1ice`, `rnary` for `mary`) is taken.
 */
import { createRequire } from "node:module";

/** Unicode's confusables.txt, as character → prototype (the `unhomoglyph` package's copy of it). */
const PROTOTYPES = createRequire(import.meta.url)("unhomoglyph/data.json") as Record<string, string>;

// A combining mark may follow a letter (Devanagari vowel signs), never start a name.
const ALLOWED = /^(?!\p{M})[\p{L}\p{M}\p{N}._\-@+]+$/u;
const WIDE = /[\p{Script_Extensions=Han}\p{Script_Extensions=Hiragana}\p{Script_Extensions=Katakana}\p{Script_Extensions=Hangul}]/u;
const INVISIBLE = /\p{Default_Ignorable_Code_Point}/u;
const UUID_SHAPED = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

export interface NormalisedUsername {
  /** As the user typed it, NFKC-normalised and trimmed: what we display. */
  display: string;
  /** Full case folding of the display form: the unique sign-in key. */
  key: string;
  /** The UTS #39 confusable skeleton of the key: unique too, so look-alikes collide. */
  skeleton: string;
}

/** Returns the normalised username, or a problem description. */
export function normaliseUsername(raw: string): NormalisedUsername | { problem: string } {
  const display = raw.normalize("NFKC").trim();
  const chars = [...display];
  // At least 3 columns: a Han, kana or Hangul character is as wide as two Latin ones, so
  // `山田` (two ideographs, a common full name) registers while `ab` does not.
  const columns = chars.reduce((sum, ch) => sum + (WIDE.test(ch) ? 2 : 1), 0);
  if (columns < 3 || chars.length > 64) return { problem: "must be 3 to 64 characters (a CJK character counts as two towards the minimum)" };
  if (INVISIBLE.test(display)) return { problem: "may not contain invisible or filler characters" };
  if (!ALLOWED.test(display)) return { problem: "may contain only letters, digits and . _ - @ +" };
  if (UUID_SHAPED.test(display)) return { problem: "may not be shaped like a user id" };
  if (!singleScript(display)) return { problem: "mixes scripts that look alike: write it in one script, or Latin with one other script that is not Cyrillic or Greek (UTS #39 moderately restrictive)" };
  const key = foldCase(display);
  return { display, key, skeleton: usernameSkeleton(key) };
}

/** The lookup key for a sign-in attempt; never fails (a bad name simply matches nobody). */
export function usernameKey(raw: string): string {
  return foldCase(raw.normalize("NFKC").trim());
}

/** True for a string shaped like a user id (a UUID), which usernames never are. */
export function isIdShaped(value: string): boolean {
  return UUID_SHAPED.test(value);
}

/**
 * Full case folding, then NFKC again (NFKC_Casefold in spirit). JavaScript has no
 * `casefold()`; upper-casing first applies the expanding mappings (ß → SS, ŉ → ʼN)
 * that `toLowerCase()` alone skips, and lower-casing then lands on the folded form.
 */
export function foldCase(value: string): string {
  return value.toUpperCase().toLowerCase().normalize("NFKC");
}

/**
 * UTS #39 §4 skeleton: NFD, each character replaced by its prototype, NFD again;
 * then folded, and repeated until it settles, since some prototypes are capitals
 * (`b0b` → `bOb` → `bob`). Taken from the folded name, so that it is one value for every
 * spelling that shares `username_key`.
 */
export function usernameSkeleton(value: string): string {
  let current = value;
  for (let round = 0; round < 4; round++) {
    let mapped = "";
    for (const ch of current.normalize("NFD")) mapped += PROTOTYPES[ch] ?? ch;
    // A dot above on a letter that already has its dot (i, j) draws nothing new: `İ` folds to
    // `i` + U+0307, which would otherwise stand apart from a plain `i` (`ERİN` beside `erin`).
    const next = foldCase(mapped).normalize("NFD").replace(/([ij])\u0307/g, "$1");
    if (next === current) break;
    current = next;
  }
  return current;
}

// --- One script per name (UTS #39 §5.1 resolved script sets, §5.2 moderately restrictive) ---

const SCRIPTS = [
  "Adlm", "Aghb", "Ahom", "Arab", "Armi", "Armn", "Avst", "Bali", "Bamu", "Bass", "Batk", "Beng", "Bhks", "Bopo", "Brah",
  "Brai", "Bugi", "Buhd", "Cakm", "Cans", "Cari", "Cham", "Cher", "Chrs", "Copt", "Cpmn", "Cprt", "Cyrl", "Deva", "Diak",
  "Dogr", "Dsrt", "Dupl", "Egyp", "Elba", "Elym", "Ethi", "Geor", "Glag", "Gong", "Gonm", "Goth", "Gran", "Grek", "Gujr",
  "Guru", "Hang", "Hani", "Hano", "Hatr", "Hebr", "Hira", "Hluw", "Hmng", "Hmnp", "Hung", "Ital", "Java", "Kali", "Kana",
  "Kawi", "Khar", "Khmr", "Khoj", "Kits", "Knda", "Kthi", "Lana", "Laoo", "Latn", "Lepc", "Limb", "Lina", "Linb", "Lisu",
  "Lyci", "Lydi", "Mahj", "Maka", "Mand", "Mani", "Marc", "Medf", "Mend", "Merc", "Mero", "Mlym", "Modi", "Mong", "Mroo",
  "Mtei", "Mult", "Mymr", "Nagm", "Nand", "Narb", "Nbat", "Newa", "Nkoo", "Nshu", "Ogam", "Olck", "Orkh", "Orya", "Osge",
  "Osma", "Ougr", "Palm", "Pauc", "Perm", "Phag", "Phli", "Phlp", "Phnx", "Plrd", "Prti", "Rjng", "Rohg", "Runr", "Samr",
  "Sarb", "Saur", "Sgnw", "Shaw", "Shrd", "Sidd", "Sind", "Sinh", "Sogd", "Sogo", "Sora", "Soyo", "Sund", "Sylo", "Syrc",
  "Tagb", "Takr", "Tale", "Talu", "Taml", "Tang", "Tavt", "Telu", "Tfng", "Tglg", "Thaa", "Thai", "Tibt", "Tirh", "Tnsa",
  "Toto", "Ugar", "Vaii", "Vith", "Wara", "Wcho", "Xpeo", "Xsux", "Yezi", "Yiii", "Zanb",
];

/** One matcher per script this JavaScript engine knows (an unknown name is skipped, not a crash). */
const MATCHERS: Array<[string, RegExp]> = SCRIPTS.flatMap((code) => {
  try {
    return [[code, new RegExp(`\\p{Script_Extensions=${code}}`, "u")] as [string, RegExp]];
  } catch {
    return [];
  }
});
const COMMON = /^[\p{Script=Common}\p{Script=Inherited}]$/u;

/** The augmented script set of one character (UTS #39 §5.1): Han also counts as Japanese, Korean and Bopomofo-Han. */
const scriptCache = new Map<string, Set<string> | null>();
function scriptsOf(ch: string): Set<string> | null {
  const cached = scriptCache.get(ch);
  if (cached !== undefined) return cached;
  let set: Set<string> | null = null;
  if (!COMMON.test(ch)) {
    set = new Set(MATCHERS.filter(([, re]) => re.test(ch)).map(([code]) => code));
    if (set.has("Hani")) set.add("Jpan").add("Kore").add("Hanb");
    if (set.has("Hira") || set.has("Kana")) set.add("Jpan");
    if (set.has("Hang")) set.add("Kore");
    if (set.has("Bopo")) set.add("Hanb");
    if (set.size === 0) set = null;
  }
  if (scriptCache.size < 4096) scriptCache.set(ch, set);
  return set;
}

/** The intersection of the characters' script sets; `null` means "every script" (only Common/Inherited). */
function resolvedScripts(chars: string[]): Set<string> | null {
  let resolved: Set<string> | null = null;
  for (const ch of chars) {
    const own = scriptsOf(ch);
    if (own === null) continue;
    resolved = resolved === null ? new Set(own) : new Set([...resolved].filter((code: string) => own.has(code)));
  }
  return resolved;
}

/**
 * Moderately restrictive: one script; or Latin with Han + Hiragana + Katakana, Han +
 * Bopomofo, or Han + Hangul; or Latin with one other script that is not Cyrillic or Greek
 * (those two hold most of Latin's look-alikes).
 */
function singleScript(name: string): boolean {
  const chars = [...name];
  const all = resolvedScripts(chars);
  if (all === null || all.size > 0) return true;
  const rest = resolvedScripts(chars.filter((ch) => !scriptsOf(ch)?.has("Latn")));
  if (rest === null) return true;
  if (rest.size === 0) return false;
  if (rest.has("Jpan") || rest.has("Kore") || rest.has("Hanb")) return true;
  return [...rest].some((s) => s !== "Cyrl" && s !== "Grek");
}
