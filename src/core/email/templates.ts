/**
 * The messages: a subject, a text part (always) and an HTML part, per kind.
 * Built-in templates below; an operator overrides any of them with files in
 * TESSERA_MAIL_TEMPLATES (`verify.subject.txt`, `verify.txt`, `verify.html`, …),
 * read once at start. `{{name}}` is replaced by a value, HTML-escaped in the
 * HTML part; an unknown name is a start-up error, not a blank in a message.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const MAIL_KINDS = ["verify", "change_verify", "change_notice", "reset", "otp"] as const;
export type MailKind = (typeof MAIL_KINDS)[number];

/** Values each kind may use. */
const VARIABLES: Record<MailKind, string[]> = {
  verify: ["username", "link", "code", "minutes", "issuer"],
  change_verify: ["username", "link", "code", "minutes", "issuer", "email"],
  change_notice: ["username", "email", "issuer"],
  reset: ["username", "link", "code", "minutes", "issuer"],
  otp: ["username", "code", "minutes", "issuer"],
};

interface Template { subject: string; text: string; html: string }

const wrap = (body: string) => `<!doctype html><html lang="en"><body style="font-family:sans-serif;line-height:1.5;max-width:36em">${body}<p style="color:#555">{{issuer}}</p></body></html>`;

const BUILT_IN: Record<MailKind, Template> = {
  verify: {
    subject: "Confirm your email address",
    text: "Hello {{username}},\n\nConfirm this address by opening the link below and pressing the button:\n\n{{link}}\n\nOr type this code on that page: {{code}}\n\nIt is valid for {{minutes}} minutes. If you did not sign up, ignore this message.\n",
    html: wrap("<p>Hello {{username}},</p><p>Confirm this address by opening the link and pressing the button:</p><p><a href=\"{{link}}\">Confirm my address</a></p><p>Or type this code on that page: <strong>{{code}}</strong></p><p>It is valid for {{minutes}} minutes. If you did not sign up, ignore this message.</p>"),
  },
  change_verify: {
    subject: "Confirm your new email address",
    text: "Hello {{username}},\n\nYou asked to use {{email}} for your account. Confirm it by opening the link below and pressing the button:\n\n{{link}}\n\nOr type this code on that page: {{code}}\n\nIt is valid for {{minutes}} minutes. Your address changes only once you confirm.\n",
    html: wrap("<p>Hello {{username}},</p><p>You asked to use {{email}} for your account. Confirm it:</p><p><a href=\"{{link}}\">Confirm my new address</a></p><p>Or type this code on that page: <strong>{{code}}</strong></p><p>It is valid for {{minutes}} minutes. Your address changes only once you confirm.</p>"),
  },
  change_notice: {
    subject: "Your email address is being changed",
    text: "Hello {{username}},\n\nSomeone signed in to your account asked to change its email address to {{email}}. The change happens only when that address is confirmed.\n\nIf this was not you, change your password now and tell your administrator.\n",
    html: wrap("<p>Hello {{username}},</p><p>Someone signed in to your account asked to change its email address to {{email}}. The change happens only when that address is confirmed.</p><p>If this was not you, change your password now and tell your administrator.</p>"),
  },
  reset: {
    subject: "Reset your password",
    text: "Hello {{username}},\n\nSet a new password by opening the link below:\n\n{{link}}\n\nOr type this code on that page: {{code}}\n\nIt is valid for {{minutes}} minutes and works once. Every session of your account ends when you set the new password. If you did not ask for this, ignore this message.\n",
    html: wrap("<p>Hello {{username}},</p><p>Set a new password:</p><p><a href=\"{{link}}\">Reset my password</a></p><p>Or type this code on that page: <strong>{{code}}</strong></p><p>It is valid for {{minutes}} minutes and works once. Every session of your account ends when you set the new password. If you did not ask for this, ignore this message.</p>"),
  },
  otp: {
    subject: "Your sign-in code: {{code}}",
    text: "Hello {{username}},\n\nYour sign-in code is {{code}}\n\nIt is valid for {{minutes}} minutes. If you did not try to sign in, ignore this message; nobody can sign in without the code.\n",
    html: wrap("<p>Hello {{username}},</p><p>Your sign-in code is</p><p style=\"font-size:2em;letter-spacing:.2em\"><strong>{{code}}</strong></p><p>It is valid for {{minutes}} minutes. If you did not try to sign in, ignore this message.</p>"),
  },
};

export interface RenderedMail { subject: string; text: string; html: string }

const PLACEHOLDER = /\{\{\s*([a-z_]+)\s*\}\}/g;
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export class MailTemplates {
  readonly #templates: Record<MailKind, Template>;

  /** Reads overrides from `folder`; throws naming the file whose placeholders are unknown. */
  constructor(folder = "") {
    const templates = { ...BUILT_IN };
    if (folder) {
      if (!existsSync(folder)) throw new Error(`TESSERA_MAIL_TEMPLATES: no folder ${folder}`);
      for (const kind of MAIL_KINDS) {
        const part = (name: string, fallback: string) => {
          const file = join(folder, `${kind}.${name}`);
          if (!existsSync(file)) return fallback;
          const body = readFileSync(file, "utf8");
          for (const [, variable] of body.matchAll(PLACEHOLDER)) {
            if (!VARIABLES[kind].includes(variable!)) throw new Error(`TESSERA_MAIL_TEMPLATES: ${kind}.${name} uses {{${variable}}}; known: ${VARIABLES[kind].join(", ")}`);
          }
          return body;
        };
        templates[kind] = { subject: part("subject.txt", BUILT_IN[kind].subject).trim(), text: part("txt", BUILT_IN[kind].text), html: part("html", BUILT_IN[kind].html) };
      }
    }
    this.#templates = templates;
  }

  render(kind: MailKind, values: Record<string, string>): RenderedMail {
    const t = this.#templates[kind];
    const fill = (s: string, escape: (v: string) => string) => s.replace(PLACEHOLDER, (_m, name: string) => escape(values[name] ?? ""));
    // A subject is a header: no line breaks whatever a value holds.
    return { subject: fill(t.subject, (v) => v).replace(/[\r\n]+/g, " ").slice(0, 200), text: fill(t.text, (v) => v), html: fill(t.html, escapeHtml) };
  }
}
