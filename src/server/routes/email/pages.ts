/**
 * The pages an emailed link opens (docs/email.md). Mail scanners (Safe Links,
 * Proofpoint) open links, so a GET only shows a form; the token is spent only
 * by the POST that form sends. The form works without JavaScript; its POST
 * must come from an allowed origin and carry a field bound to the token (a
 * cross-site form can do neither). No script, no style, no framing, and no
 * referrer to another site (the token is in the URL); `same-origin`, not
 * `no-referrer`, because with the latter Chromium sends `Origin: null` on the
 * page's own POST.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { TesseraError } from "../../../core/errors.js";
import type { Tessera } from "../../../core/api.js";
import { allowedOrigins, requestOrigin } from "../../shared/origins.js";
import { requestMeta } from "../../shared/request-meta.js";

const CSP = "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(reply: FastifyReply, status: number, title: string, body: string): FastifyReply {
  return reply.code(status)
    .header("content-security-policy", CSP).header("referrer-policy", "same-origin").header("x-frame-options", "DENY")
    .header("cache-control", "no-store").header("cross-origin-opener-policy", "same-origin")
    .type("text/html; charset=utf-8")
    .send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex"><title>${esc(title)} · Tessera</title></head><body><main><h1>${esc(title)}</h1>${body}</main></body></html>`);
}

const message = (text: string, role = "status") => `<p role="${role}">${esc(text)}</p>`;
const RESET_ADVICE = "Ask for a new reset message.";

interface TokenQuery { Querystring: { token?: string } }
interface FormBody { Body: { token?: string; form_token?: string; new_password?: string; new_password_again?: string } }

const querySchema = { querystring: { type: "object", properties: { token: { type: "string", maxLength: 64 } } }, hide: true } as const;
const formSchema = {
  hide: true,
  body: { type: "object", properties: { token: { type: "string", maxLength: 64 }, form_token: { type: "string", maxLength: 64 }, new_password: { type: "string", maxLength: 1024 }, new_password_again: { type: "string", maxLength: 1024 } } },
} as const;

export function emailPageRoutes(app: FastifyInstance, tessera: Tessera): void {
  const trusted = allowedOrigins(tessera.config);
  const mail = tessera.mail;
  /** What the form field is bound to: the token however it was typed (case, dashes). */
  const bound = (token: string) => mail.canonicalToken(token) ?? token;

  /** The POST's CSRF check: an allowed Origin (or Referer) and the form field bound to this token. */
  function checkForm(request: FastifyRequest<FormBody>, purpose: string): string | undefined {
    const origin = requestOrigin(request);
    const token = (request.body?.token ?? "").trim();
    if (origin === undefined || !trusted.has(origin) || !mail.checkFormToken(purpose, bound(token), request.body?.form_token)) {
      request.log.info({ code: "csrf_failed", detail: "email page form check" }, "request refused");
      return undefined;
    }
    return token;
  }
  /** A link that cannot work (unknown, used or expired token): the same page and status on both pages and their POSTs. */
  const deadLink = (reply: FastifyReply, advice: string) => page(reply, 400, "This link does not work", message(`It is invalid, expired or already used. ${advice}`, "alert"));
  const refused = (reply: FastifyReply) => page(reply, 403, "This request was refused", message("Open the link from your message again and press the button.", "alert"));

  /** A form bound to a token: the code field holds the link's token, or is left for typing. */
  function tokenForm(action: string, purpose: string, token: string, button: string, extra = ""): string {
    const formToken = token ? mail.formToken(purpose, bound(token)) : "";
    return `<form method="post" action="${action}">`
      + `<p><label for="token">Code from your message</label><br><input id="token" name="token" required autocomplete="one-time-code" spellcheck="false" size="34" maxlength="64" value="${esc(token)}"></p>`
      + `<input type="hidden" name="form_token" value="${esc(formToken)}">${extra}<p><button type="submit">${esc(button)}</button></p></form>`;
  }

  // Typing a code by hand: the page is opened without a token, the code goes in the field, and
  // a second GET with ?token= binds the form (a one-field form that GETs this page).
  const typeForm = (action: string) => `<form method="get" action="${action}"><p><label for="typed">Code from your message</label><br><input id="typed" name="token" required spellcheck="false" size="34" maxlength="64"></p><p><button type="submit">Continue</button></p></form>`;

  app.get<TokenQuery>("/email/verify", { schema: querySchema }, async (request, reply) => {
    const token = request.query.token?.trim() ?? "";
    if (!token) return page(reply, 200, "Confirm your email address", typeForm("/email/verify"));
    const pending = await mail.service.peekVerification(token);
    if (!pending) return deadLink(reply, "Ask for a new message from your account.");
    return page(reply, 200, "Confirm your email address", `<p>Press the button to confirm <strong>${esc(pending.email)}</strong>.</p>${tokenForm("/email/verify", "verify", token, "Confirm my address")}`);
  });

  app.post<FormBody>("/email/verify", { schema: formSchema }, async (request, reply) => {
    const token = checkForm(request, "verify");
    if (token === undefined) return refused(reply);
    try {
      await mail.verifyAddress(token, requestMeta(request));
    } catch (error) {
      if (error instanceof TesseraError && (error.code === "invalid_grant" || error.code === "email_taken")) {
        return page(reply, error.status, "This link does not work", message(error.code === "email_taken" ? error.message : "It is invalid, expired or already used.", "alert"));
      }
      throw error;
    }
    return page(reply, 200, "Address confirmed", message("Your email address is confirmed. You can close this page."));
  });

  const resetFields = `<p><label for="new_password">New password</label><br><input id="new_password" name="new_password" type="password" required minlength="8" maxlength="128" autocomplete="new-password"></p>`
    + `<p><label for="new_password_again">New password, again</label><br><input id="new_password_again" name="new_password_again" type="password" required minlength="8" maxlength="128" autocomplete="new-password"></p>`;

  app.get<TokenQuery>("/password/reset", { schema: querySchema }, async (request, reply) => {
    const token = request.query.token?.trim() ?? "";
    if (!token) return page(reply, 200, "Set a new password", typeForm("/password/reset"));
    // Looked at, not spent (a GET never spends: mail scanners open links), so a dead link says so
    // before the user types a new password twice.
    if (!(await tessera.resets.peek(token))) return deadLink(reply, RESET_ADVICE);
    return page(reply, 200, "Set a new password", `<p>Every session of your account ends when you set it.</p>${tokenForm("/password/reset", "reset", token, "Set my new password", resetFields)}`);
  });

  app.post<FormBody>("/password/reset", { schema: formSchema }, async (request, reply) => {
    const token = checkForm(request, "reset");
    if (token === undefined) return refused(reply);
    const again = () => page(reply, 400, "Set a new password", `${message(problem, "alert")}${tokenForm("/password/reset", "reset", token, "Set my new password", resetFields)}`);
    let problem = "";
    const password = request.body.new_password ?? "";
    if (password !== (request.body.new_password_again ?? "")) {
      // A dead link says so first: fixing the typo would not help.
      if (!(await tessera.resets.peek(token))) return deadLink(reply, RESET_ADVICE);
      problem = "The two passwords differ.";
      return again();
    }
    try {
      await tessera.resets.redeem(token, password, requestMeta(request));
    } catch (error) {
      if (error instanceof TesseraError && error.code === "invalid_request") {
        problem = error.message.replace(/^new_password: /, "The password ");
        return again();
      }
      if (error instanceof TesseraError && error.code === "invalid_grant") return deadLink(reply, RESET_ADVICE);
      throw error;
    }
    return page(reply, 200, "Password changed", message("Your password is changed and every session of your account has ended. Sign in with the new password."));
  });
}
