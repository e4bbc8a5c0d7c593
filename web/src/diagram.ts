// The sequence diagram: three lifelines (the page's client, Tessera as the
// authorization server, the API as resource server) and one arrow per step of
// the token flow. Steps light up as the traced requests happen; the latest
// one pulses, the earlier ones of this sign-in stay marked.
import { svg } from "./dom.js";

export type StepId = "signin" | "mfa-required" | "second-step" | "passkey" | "tokens" | "call" | "ok" | "denied" | "refresh" | "rotated" | "refused" | "revoke";

interface Step {
  id: StepId;
  from: 0 | 1 | 2;
  to: 0 | 1 | 2;
  token: string;
  cookie: string;
  caption: string;
}

const LANES = ["Browser · tessera/client", "Tessera · auth server", "API · resource server"];
const STEPS: Step[] = [
  { id: "signin", from: 0, to: 1, token: "POST /oauth/token · password grant", cookie: "POST /session/login · password", caption: "The password crosses the wire once, at sign-in." },
  { id: "mfa-required", from: 1, to: 0, token: "403 mfa_required · mfa_token + methods", cookie: "403 mfa_required · no cookie yet", caption: "The password was right, but this user has a second factor (or must enrol one first: mfa_enrollment_required): no session yet, only a short-lived single-use mfa_token." },
  { id: "second-step", from: 0, to: 1, token: "POST /oauth/token · mfa grant (code / passkey)", cookie: "POST /session/mfa · code / passkey", caption: "The second step: the mfa_token with a TOTP code, a recovery code or a passkey assertion finishes the sign-in." },
  { id: "passkey", from: 0, to: 1, token: "POST /oauth/token · passkey grant", cookie: "POST /session/passkey", caption: "A passkey alone: the browser signs the server's challenge for this origin, with user verification — no password at all." },
  { id: "tokens", from: 1, to: 0, token: "access token (JWT) + refresh token", cookie: "Set-Cookie: HttpOnly session + CSRF token", caption: "Tessera answers with a short-lived signed access token and a rotating refresh token." },
  { id: "call", from: 0, to: 2, token: "GET /userinfo · Authorization: Bearer", cookie: "GET /userinfo · Cookie (+ X-CSRF-Token on writes)", caption: "Every call shows the ticket: the access token travels in the Authorization header." },
  { id: "ok", from: 2, to: 0, token: "200 · the user's data", cookie: "200 · session looked up", caption: "A resource server checks the token's signature and expiry with Tessera's public keys, no session store needed." },
  { id: "denied", from: 2, to: 0, token: "401 invalid_token", cookie: "401 · session over", caption: "The API refused the token: the client refreshes once and retries once." },
  { id: "refresh", from: 0, to: 1, token: "POST /oauth/token · refresh_token grant", cookie: "(no refresh: the cookie slides)", caption: "Before the token expires, the client trades the refresh token quietly — no password." },
  { id: "rotated", from: 1, to: 0, token: "new pair · old refresh token spent", cookie: "(no refresh: the cookie slides)", caption: "Rotation: each refresh token works once; replaying a spent one ends the session." },
  { id: "refused", from: 1, to: 0, token: "400 invalid_grant · session over", cookie: "403 / 401 · refused", caption: "Tessera refused: the session ended (signed out elsewhere, reused, idle or expired)." },
  { id: "revoke", from: 0, to: 1, token: "POST /oauth/revoke · session ends", cookie: "POST /session/logout · cookie cleared", caption: "Sign-out revokes the refresh token, which ends the session for every token it issued." },
];

// Most steps run between the browser and Tessera, so that gap is the widest.
const LANE_X = [100, 420, 660];
const WIDTH = 760;
const TOP = 66;
const ROW = 42;
const laneX = (lane: number) => LANE_X[lane] ?? 0;

export interface Diagram {
  light(step: StepId): void;
  reset(): void;
  setMode(mode: "token" | "cookie"): void;
}

export function createDiagram(host: HTMLElement, caption: HTMLElement): Diagram {
  const height = TOP + STEPS.length * ROW + 16;
  const root = svg("svg", { viewBox: `0 0 ${WIDTH} ${height}`, role: "img", "aria-labelledby": "diagram-title diagram-desc", class: "sequence" });
  root.append(svg("desc", { id: "diagram-desc" }, "Sequence diagram of the token flow between the browser, Tessera and the API."));
  const defs = svg("defs");
  const marker = svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 10, markerHeight: 10, markerUnits: "userSpaceOnUse", orient: "auto-start-reverse" });
  marker.append(svg("path", { d: "M0,0 L10,5 L0,10 z", class: "arrowhead" }));
  defs.append(marker);
  root.append(defs);

  LANES.forEach((name, lane) => {
    const x = laneX(lane);
    root.append(svg("rect", { x: x - 96, y: 8, width: 192, height: 34, rx: 8, class: "lane-box" }));
    root.append(svg("text", { x, y: 30, class: "lane-name", "text-anchor": "middle" }, name));
    root.append(svg("line", { x1: x, y1: 42, x2: x, y2: height - 6, class: "lifeline" }));
  });

  const rows = new Map<StepId, { group: SVGElement; label: SVGElement }>();
  STEPS.forEach((step, index) => {
    const y = TOP + index * ROW + 14;
    const group = svg("g", { class: "step", "data-step": step.id });
    const x1 = laneX(step.from);
    const x2 = laneX(step.to);
    const inward = x2 > x1 ? -4 : 4;
    group.append(svg("line", { x1, y1: y, x2: x2 + inward, y2: y, class: "arrow", "marker-end": "url(#arrow)" }));
    const label = svg("text", { x: (x1 + x2) / 2, y: y - 7, "text-anchor": "middle", class: "step-label" }, step.token);
    group.append(label);
    group.append(svg("circle", { cx: x1, cy: y, r: 4, class: "dot" }));
    root.append(group);
    rows.set(step.id, { group, label });
  });
  host.replaceChildren(root);

  let mode: "token" | "cookie" = "token";
  return {
    light(id) {
      for (const { group } of rows.values()) group.classList.remove("now");
      const row = rows.get(id);
      if (!row) return;
      // Restart the pulse even when the same step lights twice in a row.
      void row.group.getBoundingClientRect();
      row.group.classList.add("now", "seen");
      const step = STEPS.find((s) => s.id === id);
      if (step) caption.textContent = mode === "token" ? step.caption : `${step.cookie}.`;
    },
    reset() {
      for (const { group } of rows.values()) group.classList.remove("now", "seen");
    },
    setMode(next) {
      mode = next;
      for (const step of STEPS) {
        const row = rows.get(step.id);
        if (row) row.label.textContent = next === "token" ? step.token : step.cookie;
      }
    },
  };
}
