/**
 * Where messages go: SMTP through nodemailer (TESSERA_SMTP_URL), or, with no
 * SMTP configured, `.eml` files in the data folder that a developer reads on
 * the dev mail page (docs/email.md). Both build the same MIME message, with
 * the outbox row's id as its Message-ID, so a message delivered twice (after a
 * crash between the SMTP answer and our bookkeeping) is recognisably one.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import nodemailer, { type Transporter } from "nodemailer";

export interface OutgoingMail {
  /** The outbox id; the Message-ID is `<id@host>`. */
  id: string;
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface MailTransport {
  /** Where messages go, for the start-up line: never a password. */
  readonly description: string;
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

/** A failure the next attempt cannot fix (the server refused this recipient or message for good). */
export class PermanentMailError extends Error {
  override readonly name = "PermanentMailError";
}

export interface SmtpOptions {
  url: string;
  timeoutMs: number;
  messageIdHost: string;
}

/** smtp://user:pass@host:port → nodemailer's options; the password stays in this object only. */
export function smtpTransportOptions(options: SmtpOptions) {
  const url = new URL(options.url);
  const secure = url.protocol === "smtps:";
  const user = decodeURIComponent(url.username);
  const pass = decodeURIComponent(url.password);
  return {
    host: url.hostname.replace(/^\[|\]$/g, ""),
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    secure,
    requireTLS: url.searchParams.get("starttls") === "required",
    ...(user ? { auth: { user, pass } } : {}),
    connectionTimeout: options.timeoutMs,
    greetingTimeout: options.timeoutMs,
    socketTimeout: options.timeoutMs,
    dnsTimeout: options.timeoutMs,
    // nodemailer's own logger could print the AUTH exchange: off.
    logger: false,
    debug: false,
  };
}

/** The SMTP URL without its password, for logs and the start-up line. */
export function describeSmtpUrl(raw: string): string {
  const url = new URL(raw);
  const user = url.username ? `${decodeURIComponent(url.username)}@` : "";
  return `${url.protocol}//${user}${url.host}`;
}

function mimeOptions(mail: OutgoingMail, host: string) {
  return {
    from: mail.from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html,
    messageId: `<${mail.id}@${host}>`,
    // No tracking, no surprises: the message is what the template says.
    disableFileAccess: true, disableUrlAccess: true,
  };
}

/** Turns a nodemailer failure into a retry (plain Error) or a PermanentMailError; the text never holds a secret. */
function classify(error: unknown): Error {
  const e = error as { code?: string; responseCode?: number; message?: string };
  const text = `${e.code ?? "error"}${e.responseCode ? ` ${e.responseCode}` : ""}: ${(e.message ?? String(error)).replace(/[a-z]+:\/\/[^\s@]*@/gi, "<url>@").slice(0, 300)}`;
  // A recipient or message refused with a 5xx will be refused again; an AUTH failure
  // (535) is the operator's to fix, so it is retried until the attempts run out.
  if (e.code !== "EAUTH" && typeof e.responseCode === "number" && e.responseCode >= 500 && e.responseCode < 600) return new PermanentMailError(text);
  return new Error(text);
}

export function smtpTransport(options: SmtpOptions): MailTransport {
  const transporter: Transporter = nodemailer.createTransport(smtpTransportOptions(options));
  return {
    description: `SMTP ${describeSmtpUrl(options.url)}`,
    async send(mail) {
      try {
        await transporter.sendMail(mimeOptions(mail, options.messageIdHost));
      } catch (error) {
        throw classify(error);
      }
    },
    close: () => transporter.close(),
  };
}

/** Development: each message becomes `<folder>/<id>.eml` (mode 0600), written whole or not at all. */
export function fileTransport(folder: string, messageIdHost: string): MailTransport {
  const builder = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: "unix" });
  return {
    description: `files in ${folder}`,
    async send(mail) {
      mkdirSync(folder, { recursive: true, mode: 0o700 });
      const info = await builder.sendMail(mimeOptions(mail, messageIdHost));
      const file = join(folder, `${mail.id}.eml`);
      writeFileSync(`${file}.tmp`, info.message as Buffer, { mode: 0o600 });
      renameSync(`${file}.tmp`, file);
    },
    close: () => builder.close(),
  };
}

export interface StoredMail { id: string; at: number; raw: string }

/** The .eml files of a folder, newest first (the dev mail page). */
export function listMailFiles(folder: string, limit = 100): StoredMail[] {
  let names: string[];
  try {
    names = readdirSync(folder).filter((n) => /^[\w-]{1,80}\.eml$/.test(n));
  } catch {
    return [];
  }
  return names.map((n) => ({ name: n, at: statSync(join(folder, n)).mtimeMs }))
    .sort((a, b) => b.at - a.at).slice(0, limit)
    .map(({ name, at }) => ({ id: name.slice(0, -4), at, raw: readFileSync(join(folder, name), "utf8") }));
}
