// The cookie-mode card: what the page holds instead of a token. The session
// cookie is HttpOnly, so the page cannot look at it; it shows its existence the
// only way a script can — by what the server says about the requests the
// browser sent with it (`auth: "cookie"`, a current session of kind cookie) —
// and lays out what scripts *can* read: document.cookie and web storage,
// scanned for anything shaped like an access or refresh token.
import type { Session, SessionInfo } from "../../packages/client/src/index.js";
import { abbreviate, byId, h, relative } from "./dom.js";

// A JWT (access token) or a Tessera refresh token.
const TOKEN_LIKE = /eyJ[\w-]+\.[\w-]+\.[\w-]*|tsr_[\w-]{20,}/;

export interface CookiePanel {
  show(session: Session | null, mode: "token" | "cookie"): void;
  /** The server said how it authenticated the page's last call. */
  confirmed(auth: "bearer" | "cookie"): void;
  /** What `GET /auth/sessions` says about the current session; `skew` is the server's clock minus this browser's. */
  sessionLimits(current: SessionInfo | undefined, skew: number): void;
  /** Re-reads what scripts can see (cookies change with every answer). */
  update(): void;
}

/** Web storage as `key = value` lines, values abbreviated. */
function storageLines(store: Storage): string[] {
  const lines: string[] = [];
  for (let i = 0; i < store.length; i++) {
    const key = store.key(i) ?? "";
    lines.push(`  ${key} = ${abbreviate(store.getItem(key) ?? "", 24, 8)}`);
  }
  return lines.length ? lines : ["  (empty)"];
}

/** Where a token-shaped string can be read by a script on this page. */
function readableTokens(): string[] {
  const found: string[] = [];
  if (TOKEN_LIKE.test(document.cookie)) found.push("document.cookie");
  for (const [name, store] of [["localStorage", localStorage], ["sessionStorage", sessionStorage]] as const) {
    for (let i = 0; i < store.length; i++) if (TOKEN_LIKE.test(store.getItem(store.key(i) ?? "") ?? "")) found.push(name);
  }
  return [...new Set(found)];
}

export function createCookiePanel(): CookiePanel {
  const view = byId("cookie-view");
  const facts = byId("cookie-facts");
  const scripts = byId("script-view");
  let session: Session | null = null;
  let auth: "bearer" | "cookie" | undefined;
  let limits: { current: SessionInfo; skew: number } | undefined;

  const fact = (name: string, label: string, ...value: (Node | string)[]) => [h("dt", { text: label }), h("dd", { "data-fact": name }, ...value)];

  function render(): void {
    if (view.hidden) return;
    const found = readableTokens();
    const serverNow = Date.now() + (limits?.skew ?? 0);
    facts.replaceChildren(
      ...fact(
        "session-cookie",
        "Session cookie",
        h("code", { text: "__Host-tessera_session" }),
        auth === "cookie"
          ? " — present: the browser sent it and the server authenticated this page by it (auth: \"cookie\"). HttpOnly, so no script here can read it."
          : " — set by the server at sign-in (HttpOnly; Secure; SameSite=Lax; Path=/). No script here can read it.",
      ),
      ...fact(
        "readable",
        "Tokens scripts can read",
        found.length
          ? `Found in ${found.join(", ")}!`
          : "None: no access or refresh token in document.cookie, localStorage or sessionStorage, and client.getAccessToken() returns null.",
      ),
      ...fact(
        "csrf",
        "CSRF token",
        h("code", { text: abbreviate(session?.csrfToken ?? "unknown") }),
        " — from the readable __Host-tessera_csrf cookie; sent as X-CSRF-Token on POST, PUT, PATCH and DELETE. Worthless without the session cookie.",
      ),
      ...(limits
        ? fact(
            "ends",
            "Session ends",
            `${relative(Date.parse(limits.current.expires_at), serverNow)} unless used: every use slides it, and the cookie's Max-Age follows.`,
          )
        : []),
    );
    const cookies = document.cookie ? document.cookie.split(/;\s*/).map((c) => `  ${abbreviate(c, 28, 6)}`) : ["  (empty)"];
    scripts.textContent = [
      "document.cookie",
      ...cookies,
      "  (__Host-tessera_session is HttpOnly: not listed)",
      "localStorage",
      ...storageLines(localStorage),
      "sessionStorage",
      ...storageLines(sessionStorage),
    ].join("\n");
  }

  return {
    show(next, mode) {
      session = next;
      if (!next) {
        auth = undefined;
        limits = undefined;
      }
      view.hidden = !(mode === "cookie" && next);
      render();
    },
    confirmed(value) {
      auth = value;
      render();
    },
    sessionLimits(current, skew) {
      limits = current && { current, skew };
      render();
    },
    update: render,
  };
}
