// The list of the user's live sessions, each with a button that ends it.
import type { SessionInfo } from "../../packages/client/src/index.js";
import { byId, h, relative } from "./dom.js";

/** A short device name from a User-Agent string. */
function device(userAgent: string | null): string {
  if (!userAgent) return "Unknown device";
  const browser = /(Firefox|Edg|Chrome|Safari|curl|node)\/?/i.exec(userAgent)?.[1] ?? "Browser";
  const system = /(Windows|Mac OS X|Android|iPhone|Linux)/.exec(userAgent)?.[1] ?? "";
  return `${browser === "Edg" ? "Edge" : browser}${system ? ` on ${system.replace("Mac OS X", "macOS")}` : ""}`;
}

/**
 * Renders the sessions; `skew` (server clock minus this browser's) lets the
 * server's timestamps read correctly on a browser whose clock is off.
 */
export function renderSessions(sessions: SessionInfo[], skew: number, end: (session: SessionInfo) => void): void {
  const serverNow = Date.now() + skew;
  const when = (iso: string) => relative(Date.parse(iso), serverNow);
  const list = byId("session-list");
  byId("sessions-empty").hidden = sessions.length > 0;
  list.replaceChildren(
    ...sessions.map((session) => {
      const name = device(session.user_agent);
      const button = h("button", { type: "button", class: "quiet danger", text: "End", "aria-label": `End session ${session.id} (${name})` });
      button.addEventListener("click", () => end(session));
      return h(
        "li",
        { class: session.current ? "current" : "", "data-session": session.id },
        h(
          "div",
          { class: "session-main" },
          h("strong", { text: name }),
          session.current ? h("span", { class: "badge is-ok", text: "this page" }) : "",
          session.kind ? h("span", { class: "badge", text: session.kind }) : "",
        ),
        h("div", { class: "session-meta muted", text: `${session.ip ?? "unknown IP"} · started ${when(session.created_at)} · last used ${when(session.last_used_at)} · ends ${when(session.expires_at)}` }),
        button,
      );
    }),
  );
}
