/** Assembles email from the configuration: templates, the transport, the outbox sender and the use cases. */
import { join } from "node:path";
import type { Store } from "../../store/index.js";
import type { CounterStore } from "../abuse/backoff.js";
import type { Config } from "../config.js";
import type { AuthEvents } from "../events.js";
import { createHmac } from "node:crypto";
import { isIP } from "node:net";
import { safeEqual } from "../crypto-utils.js";
import { deriveKey } from "../keys/master-key.js";
import type { PasswordHasher } from "../accounts/passwords.js";
import type { Throttle } from "../abuse/throttle.js";
import { EmailService } from "./email-service.js";
import { MailSender } from "./sender.js";
import { MailTemplates } from "./templates.js";
import { fileTransport, smtpTransport, type MailTransport } from "./transport.js";

export interface EmailDeps {
  config: Config;
  store: Store;
  events: AuthEvents;
  hasher: PasswordHasher;
  throttle: Throttle;
  masterKey: Buffer;
  now: () => number;
  counters: CounterStore;
  /** A transport to use instead of the configured one (tests that count deliveries). */
  transport?: MailTransport;
}

/**
 * The domain of the default From (no TESSERA_MAIL_FROM: the .eml folder of development). A
 * single-label host (`localhost`) is only a local alias, never a mail domain (RFC 5321 §2.3.5):
 * `.localdomain` makes it one. An IP issuer (`127.0.0.1`, `[::1]`) names no domain at all, and
 * `no-reply@127.0.0.1` is no address: `localhost.localdomain` then (docs/email.md, "Delivery").
 */
export function defaultMailDomain(host: string): string {
  if (isIP(host.replace(/^\[(.*)\]$/, "$1")) !== 0) return "localhost.localdomain";
  return host.includes(".") ? host : `${host}.localdomain`;
}

export function setUpEmail(d: EmailDeps) {
  const { config } = d;
  const host = new URL(config.issuer).hostname;
  const mailDir = join(config.dataDir, "mail");
  const templates = new MailTemplates(config.mailTemplatesDir);
  const transport = d.transport ?? (config.smtpUrl
    ? smtpTransport({ url: config.smtpUrl, timeoutMs: config.smtpTimeoutSeconds * 1000, messageIdHost: host })
    : fileTransport(mailDir, host));
  const sealKey = deriveKey(d.masterKey, "outbox");
  const service = new EmailService({
    store: d.store, hasher: d.hasher, events: d.events, throttle: d.throttle, now: d.now, get issuer() { return config.issuer; }, // live: set after listen with PORT=0
    sealKey, codeKey: deriveKey(d.masterKey, "email-code"),
    verifyTtlMs: config.emailVerifyTtlSeconds * 1000, resetTtlMs: config.emailResetTtlSeconds * 1000, codeTtlMs: config.emailCodeTtlSeconds * 1000,
    codeMaxAttempts: config.emailCodeMaxAttempts,
  });
  const sender = new MailSender({
    store: d.store, transport, templates, events: d.events, sealKey, now: d.now,
    from: config.mailFrom || `Tessera <no-reply@${defaultMailDomain(host)}>`,
    maxAttempts: config.mailMaxAttempts, retryBaseMs: config.mailRetryBaseSeconds * 1000,
    // A claim outlives the longest attempt (connect, greet, each command) with room to spare.
    leaseMs: Math.max(60_000, config.smtpTimeoutSeconds * 6_000),
  });
  const formKey = deriveKey(d.masterKey, "email-pages");
  const formToken = (purpose: string, token: string) => createHmac("sha256", formKey).update(`${purpose}\n${token}`).digest("base64url");
  return {
    service, sender, templates,
    /** The hidden field of a verify or reset page's form: binds its POST to a page Tessera served for that token. */
    formToken,
    checkFormToken: (purpose: string, token: string, given: string | undefined) => typeof given === "string" && safeEqual(given, formToken(purpose, token)),
    /** Where messages go, for the start-up line (never a password). */
    description: sender.description,
    /** Without SMTP: the folder of .eml files, and whether the loopback page lists them. */
    mailDir: config.smtpUrl ? undefined : mailDir,
    devPage: !config.smtpUrl && process.env.NODE_ENV !== "production",
  };
}
