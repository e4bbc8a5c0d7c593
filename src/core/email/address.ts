/**
 * Email addresses: what Tessera accepts, and the normal form it compares.
 *
 * Accepted: `local@domain`, at most 64 + 1 + 253 characters after NFKC and
 * trimming, no spaces, control or format characters (so no CR/LF reaches a
 * header), no quoted local parts, a domain of dot-separated labels that IDNA
 * turns into ASCII. The **normal form** (the unique key of verified addresses)
 * is NFKC, the domain in lower-case ASCII (IDNA), the local part lower-cased
 * too: `Ann@Example.COM` and `ann@example.com` are one address. Dots and
 * `+tags` are kept (they mean different mailboxes on most providers).
 */
import { domainToASCII } from "node:url";

export interface Address {
  /** As the user wrote it (NFKC, trimmed): where messages go, and what is shown. */
  display: string;
  /** The normal form: compared and unique. */
  key: string;
}

const LOCAL = /^[^\s@\p{C}"()<>,;:\\[\]]{1,64}$/u;
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** The address, or a problem to report on the field. */
export function parseAddress(raw: string): Address | { problem: string } {
  if (raw.length > 320) return { problem: "is too long" };
  const display = raw.normalize("NFKC").trim();
  const at = display.lastIndexOf("@");
  if (at <= 0 || at === display.length - 1) return { problem: "is not an email address" };
  const local = display.slice(0, at);
  const domainPart = display.slice(at + 1);
  if (!LOCAL.test(local) || local.startsWith(".") || local.endsWith(".") || local.includes("..")) return { problem: "is not an email address" };
  if (/[\s\p{C}@]/u.test(domainPart)) return { problem: "is not an email address" };
  const domain = domainToASCII(domainPart.toLowerCase());
  if (!domain || domain.length > 253) return { problem: "is not an email address" };
  const labels = domain.split(".");
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l))) return { problem: "is not an email address" };
  return { display, key: `${local.toLowerCase()}@${domain}` };
}

/** The normal form, or undefined for anything that is not an address. */
export function addressKey(raw: string): string | undefined {
  const parsed = parseAddress(raw);
  return "problem" in parsed ? undefined : parsed.key;
}

/** True when a sign-in name should be looked up as an address first. */
export function looksLikeAddress(raw: string): boolean {
  return raw.includes("@") && addressKey(raw) !== undefined;
}
