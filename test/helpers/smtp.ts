/**
 * A real SMTP server on loopback for the email tests (smtp-server), with
 * mailparser reading what arrived. Bound to port 0 first, so a test that needs
 * "SMTP down, then up" knows the port before anything listens on it.
 */
import { reservePort } from "./ports.js";
import { simpleParser, type ParsedMail } from "mailparser";
import { SMTPServer } from "smtp-server";

export { reservePort };

export interface SmtpSinkOptions {
  /** Require AUTH with these credentials (otherwise AUTH is optional). */
  auth?: { user: string; pass: string };
  /** Listen on this port (default: a free one). */
  port?: number;
}

export interface SmtpSink {
  port: number;
  messages: ParsedMail[];
  /** Failed AUTH attempts seen. */
  authFailures: number;
  /** `smtp://user:pass@127.0.0.1:port` (credentials as given, default none). */
  url(auth?: { user: string; pass: string }): string;
  /** Resolves with the first message (already arrived or to come) that matches. */
  waitFor(match: (m: ParsedMail) => boolean, timeoutMs?: number): Promise<ParsedMail>;
  close(): Promise<void>;
}


export async function startSmtp(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const messages: ParsedMail[] = [];
  const waiters: Array<{ match: (m: ParsedMail) => boolean; resolve: (m: ParsedMail) => void }> = [];
  const sink = { authFailures: 0 };
  const server = new SMTPServer({
    secure: false,
    disabledCommands: ["STARTTLS"],
    allowInsecureAuth: true,
    authOptional: options.auth === undefined,
    logger: false,
    onAuth(auth, _session, callback) {
      if (options.auth && auth.username === options.auth.user && auth.password === options.auth.pass) return callback(null, { user: auth.username });
      sink.authFailures++;
      return callback(Object.assign(new Error("Invalid username or password"), { responseCode: 535 }));
    },
    onData(stream, _session, callback) {
      simpleParser(stream).then((parsed) => {
        messages.push(parsed);
        for (const w of [...waiters]) {
          if (w.match(parsed)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(parsed);
          }
        }
        callback();
      }, (error: Error) => callback(error));
    },
  });
  server.on("error", () => undefined);
  const port = options.port ?? 0;
  await new Promise<void>((resolve, reject) => {
    server.server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const address = server.server.address();
  const bound = typeof address === "object" && address ? address.port : port;
  return {
    port: bound,
    messages,
    get authFailures() { return sink.authFailures; },
    url: (auth) => `smtp://${auth ? `${encodeURIComponent(auth.user)}:${encodeURIComponent(auth.pass)}@` : ""}127.0.0.1:${bound}`,
    waitFor(match, timeoutMs = 20_000) {
      const found = messages.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching message in ${timeoutMs} ms (${messages.length} arrived)`)), timeoutMs);
        waiters.push({ match, resolve: (m) => { clearTimeout(timer); resolve(m); } });
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The value after `token=` in the message's text part. */
export function linkToken(mail: ParsedMail): string {
  const match = /token=([0-9A-Z]+)/.exec(mail.text ?? "");
  if (!match) throw new Error(`no token= link in: ${mail.text}`);
  return match[1]!;
}

/** The 6-digit code of a sign-in code message. */
export function sixDigitCode(mail: ParsedMail): string {
  const match = /\b(\d{6})\b/.exec(mail.text ?? "");
  if (!match) throw new Error(`no code in: ${mail.text}`);
  return match[1]!;
}

export const to = (address: string) => (m: ParsedMail) => (Array.isArray(m.to) ? m.to : [m.to]).some((t) => t?.value.some((v) => v.address?.toLowerCase() === address.toLowerCase()));

/** Resolves once `sink` has the message to `address` whose subject matches (later than `seen` such messages). */
export function mailTo(sink: SmtpSink, address: string, subject: RegExp, seen = 0): Promise<ParsedMail> {
  let count = 0;
  return sink.waitFor((m) => to(address)(m) && subject.test(m.subject ?? "") && ++count > seen);
}
