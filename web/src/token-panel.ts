// The access-token card: the decoded header and claims, a live countdown to
// expiry (with the point where the client will refresh quietly), and what is
// known of the refresh token's session and its limits.
import { decodeJwt, type Session, type SessionInfo } from "../../packages/client/src/index.js";
import { abbreviate, byId, fillList, h, relative } from "./dom.js";

const TIME_CLAIMS = new Set(["exp", "iat", "nbf"]);

export interface TokenPanel {
  show(session: Session | null, mode: "token" | "cookie", clientId: string): void;
  /** Adds what `GET /auth/sessions` says about the current session. */
  sessionLimits(current: SessionInfo | undefined): void;
}

export function createTokenPanel(leewaySeconds: number): TokenPanel {
  const empty = byId("token-empty");
  const view = byId("token-view");
  const text = byId("countdown-text");
  const note = byId("countdown-note");
  const meter = byId("countdown-meter");
  const fill = byId("countdown-fill");
  const header = byId("jwt-header");
  const claims = byId<HTMLTableElement>("jwt-claims");
  const info = byId("session-info");
  let session: Session | null = null;
  let limits: SessionInfo | undefined;
  let rows: [string, string | Node][] = [];

  function tick() {
    if (!session?.expiresAt || !session.lifetime) return;
    const left = session.expiresAt - Date.now();
    const margin = Math.min(leewaySeconds * 1000, session.lifetime / 4);
    const percent = Math.max(0, Math.min(100, (left / session.lifetime) * 100));
    text.textContent = left > 0 ? `Expires in ${Math.ceil(left / 1000)} s` : `Expired ${Math.floor(-left / 1000)} s ago`;
    note.textContent = left > margin ? ` · quiet refresh from ${Math.ceil(margin / 1000)} s before expiry` : " · the next call refreshes first";
    meter.setAttribute("aria-valuenow", String(Math.round(percent)));
    meter.dataset.state = left <= 0 ? "expired" : left <= margin ? "due" : "fresh";
    // CSSOM writes are allowed under the page's CSP (style attributes are not).
    fill.style.width = `${percent}%`;
  }
  setInterval(tick, 250);

  function renderSession() {
    // Server times, read on the server's clock (this browser's plus the skew).
    const serverNow = Date.now() + (session?.skew ?? 0);
    const extra: [string, string | Node][] = limits
      ? [
          ["Session started", relative(Date.parse(limits.created_at), serverNow)],
          ["Last used", relative(Date.parse(limits.last_used_at), serverNow)],
          ["Session ends", `${relative(Date.parse(limits.expires_at), serverNow)} unless used (idle timeout or absolute lifetime, whichever comes first)`],
        ]
      : [];
    fillList(info, [...rows, ...extra]);
  }

  return {
    show(next, mode, clientId) {
      session = next;
      // A refresh keeps the session: its limits stay; a new sign-in drops them.
      if (limits && limits.id !== next?.claims?.sid) limits = undefined;
      const hasToken = Boolean(next?.accessToken);
      // Signed in by cookie: the cookie panel shows the session instead.
      empty.hidden = hasToken || (mode === "cookie" && next !== null);
      view.hidden = !hasToken;
      if (!next) {
        empty.textContent =
          mode === "cookie"
            ? "No session cookie yet. Sign in and the server sets one — HttpOnly, so this page will never see it."
            : "No token yet. Sign in to receive one.";
        return;
      }
      if (mode === "cookie") return;
      const jwt = next.accessToken ? decodeJwt(next.accessToken) : null;
      header.textContent = JSON.stringify(jwt?.header ?? {}, null, 2);
      const body = claims.tBodies[0] ?? claims.createTBody();
      body.replaceChildren(
        ...Object.entries(jwt?.claims ?? {}).map(([name, value]) =>
          h(
            "tr",
            { "data-claim": name },
            h("th", { scope: "row", text: name }),
            h("td", {}, h("code", { text: JSON.stringify(value) }), TIME_CLAIMS.has(name) && typeof value === "number" ? h("span", { class: "muted", text: ` ${new Date(value * 1000).toLocaleTimeString()}` }) : ""),
          ),
        ),
      );
      rows = [
        ["Client", clientId],
        ["Session id (sid)", String(jwt?.claims.sid ?? "—")],
        ["Refresh token", abbreviate(next.refreshToken ?? "—")],
        ["Access-token lifetime", `${Math.round((next.lifetime ?? 0) / 1000)} s`],
        ["Clock skew", `${((next.skew ?? 0) / 1000).toFixed(1)} s (server minus this browser, from the token's iat)`],
      ];
      renderSession();
      tick();
    },
    sessionLimits(current) {
      limits = current;
      renderSession();
    },
  };
}
