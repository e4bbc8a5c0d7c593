// The timeline: every request the client makes (with the header it carried
// and the answer it got) and every auth event, newest first.
import type { AuthChangeEvent } from "../../packages/client/src/index.js";
import { abbreviate, clockTime, h } from "./dom.js";
import type { RequestKind, TraceEntry } from "./trace.js";

const LABELS: Record<RequestKind, string> = {
  register: "Create account",
  "sign-in": "Sign in · password grant",
  refresh: "Refresh · refresh_token grant",
  api: "API call",
  revoke: "Sign out · revoke session",
  "logout-all": "Sign out everywhere",
  "cookie-login": "Sign in · cookie session",
  "cookie-logout": "Sign out · cookie session",
  discovery: "Discovery · server metadata",
  "second-step": "Second step · code or passkey",
  "passkey-signin": "Sign in · passkey alone",
  factors: "Second factors",
};

const REASONS: Record<string, string> = {
  password: "with a password",
  restored: "session found in storage",
  other_tab: "from another tab",
  expiring: "quietly, before expiry",
  invalid_token: "after a 401",
  manual: "on request",
  sign_out: "by you",
  everywhere: "every session ended",
  session_ended: "this session was ended",
  reuse: "a spent refresh token was replayed (reuse detection)",
  idle_timeout: "it went unused past the idle timeout",
  absolute_lifetime: "it reached its absolute lifetime",
  revoked: "it was ended elsewhere (a sign-out, another session, an admin)",
  invalid: "the refresh token is not valid",
  invalid_grant: "the server refused the refresh token",
  invalid_session: "the server no longer accepts this session cookie",
  mfa: "with the password and a second factor",
  passkey: "with a passkey alone",
  max_age: "this needs a more recent sign-in (step-up)",
  acr_values: "this needs a stronger sign-in (step-up)",
};

/** A reason code of an auth event, in words. */
export const reasonText = (reason: string): string => REASONS[reason] ?? reason;

const LIMIT = 200;

export interface Timeline {
  request(entry: TraceEntry, done: boolean): void;
  event(event: AuthChangeEvent): void;
  note(text: string): void;
  clear(): void;
}

export function createTimeline(list: HTMLOListElement): Timeline {
  const rows = new Map<number, HTMLLIElement>();

  const add = (item: HTMLLIElement) => {
    list.prepend(item);
    while (list.children.length > LIMIT) list.lastElementChild?.remove();
  };

  const render = (entry: TraceEntry, done: boolean): HTMLLIElement => {
    const outcome = !done ? "is-pending" : entry.status === undefined ? "is-failed" : entry.status < 400 ? "is-ok" : "is-error";
    const status = !done ? "…" : entry.status === undefined ? "network error" : String(entry.status);
    const details: string[] = [];
    if (entry.authorization) details.push(`Authorization: ${abbreviate(entry.authorization, 16, 6)}`);
    // The page cannot see the Cookie header (the browser adds it, and the
    // session cookie is HttpOnly), only that it asked for cookies to go along.
    if (entry.cookies && entry.kind !== "cookie-login") details.push("Cookie: __Host-tessera_session (HttpOnly: sent by the browser, unreadable here)");
    if (entry.csrf) details.push(`X-CSRF-Token: ${abbreviate(entry.csrf, 8, 4)}`);
    if (entry.kind === "cookie-login" && entry.status === 200) details.push("Set-Cookie: __Host-tessera_session (HttpOnly; Secure; SameSite=Lax) and __Host-tessera_csrf (readable)");
    if (entry.kind === "cookie-logout" && entry.status === 204) details.push("Set-Cookie: both cookies cleared");
    if (entry.kind === "refresh") details.push("spends the refresh token once");
    if (entry.error) details.push(entry.error);
    return h(
      "li",
      { class: `entry request kind-${entry.kind} ${outcome}`, "data-kind": entry.kind, "data-status": status },
      h("time", { class: "when", text: clockTime(entry.startedAt) }),
      h("span", { class: "what" }, h("strong", { text: LABELS[entry.kind] }), h("code", { text: ` ${entry.method} ${entry.path}` })),
      h("span", { class: `badge ${outcome}`, text: status }),
      h("span", { class: "ms", text: done && entry.ms !== undefined ? `${entry.ms} ms` : "" }),
      h("span", { class: "detail", text: details.join(" · ") }),
    );
  };

  return {
    request(entry, done) {
      const row = render(entry, done);
      const previous = rows.get(entry.id);
      if (previous) previous.replaceWith(row);
      else add(row);
      rows.set(entry.id, row);
    },
    event(event) {
      const reason = reasonText(event.reason);
      const text = event.description ? `${reason} — ${event.description}` : reason;
      add(
        h(
          "li",
          { class: `entry event event-${event.type.toLowerCase()}`, "data-event": event.type, "data-reason": event.reason },
          h("time", { class: "when", text: clockTime(Date.now()) }),
          h("span", { class: "what" }, h("strong", { text: event.type }), h("span", { text: ` ${text}` })),
        ),
      );
    },
    note(text) {
      add(h("li", { class: "entry note" }, h("time", { class: "when", text: clockTime(Date.now()) }), h("span", { class: "what", text })));
    },
    clear() {
      rows.clear();
      list.replaceChildren();
    },
  };
}
