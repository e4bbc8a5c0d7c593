// The demo page: wires tessera/client to the forms, buttons and panels, and
// feeds every request and auth event to the timeline and the diagram.
import { createClient, TesseraError, type AuthChangeEvent, type Session, type TesseraClient } from "../../packages/client/src/index.js";
import { createCookiePanel } from "./cookie-panel.js";
import { createDiagram, type StepId } from "./diagram.js";
import { createFactorsPanel, qrCode } from "./factors-panel.js";
import { byId, fillList, h } from "./dom.js";
import { renderSessions } from "./sessions-panel.js";
import { loadSettings, saveSettings, STORAGE_HELP, type StorageChoice } from "./settings.js";
import { createTimeline, reasonText } from "./timeline.js";
import { createTokenPanel } from "./token-panel.js";
import { tracedFetch, type TraceEntry } from "./trace.js";

const LEEWAY = 30;

declare global {
  interface Window {
    /** The console playground: `await tessera.client.fetch("/userinfo")`. */
    tessera: { readonly client: TesseraClient; events: { type: string; reason: string }[]; createClient: typeof createClient };
  }
}

const timeline = createTimeline(byId<HTMLOListElement>("timeline"));
const diagram = createDiagram(byId("diagram"), byId("diagram-caption"));
const tokenPanel = createTokenPanel(LEEWAY);
const cookiePanel = createCookiePanel();
const events: { type: string; reason: string }[] = [];
let settings = loadSettings();
let client: TesseraClient;
let signedIn = false;

function stepFor(entry: TraceEntry, done: boolean): StepId | undefined {
  const failed = done && (entry.status === undefined || entry.status >= 400);
  switch (entry.kind) {
    case "sign-in":
    case "cookie-login":
      if (done && (entry.error === "mfa_required" || entry.error === "mfa_enrollment_required")) return "mfa-required";
      return !done ? "signin" : failed ? "refused" : "tokens";
    case "second-step":
      return !done ? "second-step" : failed ? "refused" : /options$|\/totp$/.test(entry.path) ? undefined : "tokens";
    case "passkey-signin":
      return !done ? "passkey" : failed ? "refused" : entry.path.endsWith("login-options") ? undefined : "tokens";
    case "refresh":
      return !done ? "refresh" : failed ? "refused" : "rotated";
    case "api":
      return !done ? "call" : failed ? "denied" : "ok";
    case "revoke":
    case "logout-all":
    case "cookie-logout":
      return done ? undefined : "revoke";
    default:
      return undefined;
  }
}

const traced = tracedFetch((entry, done) => {
  timeline.request(entry, done);
  const step = stepFor(entry, done);
  if (step) diagram.light(step);
  // Answers set and clear cookies: show scripts' view of them as it is now.
  if (done) cookiePanel.update();
});

// ---- state and rendering -------------------------------------------------

const mode = () => (settings.storage === "cookie" ? "cookie" : "token");
const clientId = () => (settings.demo ? "tessera-demo" : "tessera-web");

function start(): void {
  client?.close();
  const cookie = mode() === "cookie";
  client = createClient({
    baseUrl: location.origin,
    clientId: clientId(),
    // Cookie mode stores nothing: the browser holds the session cookie, and
    // the client finds its CSRF token in the readable cookie after a reload.
    storage: settings.storage === "cookie" ? "memory" : settings.storage,
    mode: mode(),
    refreshLeeway: LEEWAY,
    fetch: traced,
  });
  diagram.setMode(mode());
  client.onAuthChange(onAuthChange);
  byId<HTMLSelectElement>("storage-mode").value = settings.storage;
  byId<HTMLInputElement>("demo-mode").checked = settings.demo;
  byId("storage-help").textContent = STORAGE_HELP[settings.storage];
  byId("cookie-note").hidden = !cookie;
  byId("demo-help").hidden = cookie;
  byId("rotate").hidden = cookie;
  byId("token-title").textContent = cookie ? "Session cookie" : "Access token";
  void checkOrigin();
  void client.getSession().then((session) => {
    if (!session) render(null);
    void offerPasskeys();
  });
}

// Cookie sessions trust sign-ins and writes only from the issuer's origin (and
// those in TESSERA_ALLOWED_ORIGINS; the server's loopback aliases count as its
// own). A page opened under any other name sees its sign-in refused.
let issuerOrigin: string | undefined;

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** The server trusts its loopback aliases on its own port (localhost = 127.0.0.1), as it does the issuer. */
function sameServer(a: string, b: string): boolean {
  if (a === b) return true;
  const [x, y] = [new URL(a), new URL(b)];
  return LOOPBACK.has(x.hostname) && LOOPBACK.has(y.hostname) && x.port === y.port && x.protocol === y.protocol;
}

async function checkOrigin(): Promise<void> {
  const warning = byId("origin-warning");
  warning.hidden = true;
  if (mode() !== "cookie") return;
  issuerOrigin ??= await traced("/.well-known/oauth-authorization-server")
    .then((res) => res.json() as Promise<{ issuer?: unknown }>)
    .then((metadata) => new URL(String(metadata.issuer)).origin)
    .catch(() => undefined);
  if (!issuerOrigin || sameServer(issuerOrigin, location.origin) || mode() !== "cookie") return;
  warning.textContent = `This page is open at ${location.origin}, but the server's issuer is ${issuerOrigin}. In cookie mode the server accepts sign-ins and writes (sign-out, ending a session) only from origins it trusts — its CSRF defence — so unless TESSERA_ALLOWED_ORIGINS lists ${location.origin}, open ${issuerOrigin}/ instead.`;
  warning.hidden = false;
}

function render(session: Session | null): void {
  signedIn = session !== null;
  byId("signed-out").hidden = signedIn;
  byId("signed-in").hidden = !signedIn;
  byId<HTMLSelectElement>("storage-mode").disabled = signedIn;
  // Cookie sessions always belong to the built-in tessera-web client.
  byId<HTMLInputElement>("demo-mode").disabled = signedIn || mode() === "cookie";
  const status = byId("status");
  status.dataset.state = signedIn ? "in" : "out";
  if (!signedIn) {
    status.textContent = "Signed out";
    byId("session-list").replaceChildren();
    byId("sessions-empty").hidden = false;
    byId("api-result").textContent = "";
  }
  tokenPanel.show(session, mode(), clientId());
  cookiePanel.show(session, mode());
}

function onAuthChange(event: AuthChangeEvent): void {
  events.push({ type: event.type, reason: event.reason });
  timeline.event(event);
  render(event.session);
  if (event.type === "SIGNED_IN") {
    hideError();
    byId("form-second-step").hidden = true;
    byId("form-enrol-step").hidden = true;
    void showUser();
    void factors.refresh();
  }
  if (!event.session) factors.hide();
  // A signed-in page offers no passkey sign-in; a signed-out one does again.
  if (event.session) stopOffering();
  else if (event.type !== "STEP_UP_REQUIRED") void offerPasskeys();
  if (event.type === "STEP_UP_REQUIRED") showError(`${event.description ?? "This needs a recent sign-in."} Sign out and sign in again, then retry.`);
  if (event.type === "SESSION_EXPIRED") showError(`Your session has ended: ${reasonText(event.reason)}. Sign in again.`);
}

async function showUser(): Promise<void> {
  const user = await client.getUser();
  byId("status").textContent = `Signed in as ${user.username}`;
  cookiePanel.confirmed(user.auth);
  fillList(byId("user"), [
    ["Username", user.username],
    ["User id", h("code", { text: user.sub })],
    ["Email", user.email ?? "—"],
    ["Roles", user.roles.join(", ")],
    ["Authenticated by", user.auth === "cookie" ? "session cookie" : "Bearer token"],
  ]);
  await listSessions();
}

async function listSessions(): Promise<void> {
  const sessions = await client.getSessions();
  const skew = (await client.getSession())?.skew ?? 0;
  tokenPanel.sessionLimits(sessions.find((s) => s.current));
  cookiePanel.sessionLimits(sessions.find((s) => s.current), skew);
  renderSessions(sessions, skew, (session) =>
    run(null, async () => {
      await client.endSession(session.id);
      timeline.note(`Ended session ${session.id}${session.current ? " (this page)" : ""}`);
      if (signedIn) await listSessions();
    }),
  );
}

// ---- errors and busy buttons -----------------------------------------------

function showError(message: string): void {
  const box = byId("account-error");
  box.textContent = message;
  box.hidden = false;
}

function hideError(): void {
  byId("account-error").hidden = true;
}

function describe(error: unknown): string {
  if (error instanceof TesseraError) {
    if (error.code === "session_expired") return "Your session has ended. Sign in again.";
    if (error.code === "csrf_failed") {
      const elsewhere = issuerOrigin && issuerOrigin !== location.origin;
      return `The server refused this request as a possible cross-site request (csrf_failed).${elsewhere ? ` This page's origin ${location.origin} is not the issuer's (${issuerOrigin}): open ${issuerOrigin}/, or add ${location.origin} to TESSERA_ALLOWED_ORIGINS.` : ""}`;
    }
    return `${error.message} (${error.code})`;
  }
  return error instanceof Error ? `Network problem: ${error.message}` : String(error);
}

/** Runs an action with its button marked busy, and shows what went wrong. */
async function run(button: HTMLButtonElement | null, action: () => Promise<unknown>): Promise<void> {
  hideError();
  if (button) {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
  }
  try {
    await action();
  } catch (error) {
    showError(describe(error));
  } finally {
    if (button) {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    }
  }
}

function onClick(id: string, action: () => Promise<unknown>): void {
  const button = byId<HTMLButtonElement>(id);
  button.addEventListener("click", () => void run(button, action));
}

// ---- controls ----------------------------------------------------------------

function onSubmit(id: string, action: (data: FormData) => Promise<unknown>): void {
  const form = byId<HTMLFormElement>(id);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const button = form.querySelector<HTMLButtonElement>("button[type=submit]");
    void run(button, async () => {
      await action(new FormData(form));
      form.reset();
    });
  });
}

const field = (data: FormData, name: string) => String(data.get(name) ?? "");

// ---- second factors and passkeys (docs/mfa.md) ------------------------------

const factors = createFactorsPanel(() => client, (id) =>
  void run(null, async () => {
    await client.removeFactor(id);
    timeline.note(`Removed factor ${id}`);
    await factors.refresh();
  }),
);

/** A first step that may answer mfa_required: then the second-step form asks for the rest. */
async function firstStep(step: () => Promise<unknown>): Promise<void> {
  try {
    await step();
  } catch (error) {
    if (error instanceof TesseraError && error.code === "mfa_enrollment_required") {
      byId("form-enrol-step").hidden = false;
      byId("enrol-step-app").hidden = true;
      byId("enrol-step-passkey").hidden = !error.methods?.includes("passkey");
      return;
    }
    if (!(error instanceof TesseraError && error.code === "mfa_required")) throw error;
    const methods = error.methods ?? [];
    byId("form-second-step").hidden = false;
    byId("second-step-otp").hidden = !methods.includes("totp");
    byId("second-step-recovery").hidden = !methods.includes("recovery_code");
    byId("second-step-passkey").hidden = !methods.includes("passkey");
    byId("second-step-help").textContent = `The password was right. Finish with: ${methods.join(", ").replace(/_/g, " ")}.`;
    byId<HTMLInputElement>("second-step-code").focus();
  }
}

// Conditional UI: the browser offers passkeys in the username field's autofill
// (autocomplete="username webauthn"); the request waits until one is picked.
let conditional: AbortController | undefined;
async function offerPasskeys(): Promise<void> {
  conditional?.abort();
  conditional = undefined;
  if (signedIn || !(await globalThis.PublicKeyCredential?.isConditionalMediationAvailable?.())) return;
  const controller = new AbortController();
  conditional = controller;
  client.signInWithPasskey({ mediation: "conditional", signal: controller.signal }).catch((error: unknown) => {
    if (controller.signal.aborted) return;
    showError(describe(error));
    void offerPasskeys();
  });
}
/** A modal ceremony first ends the pending conditional one (only one may run). */
const stopOffering = () => {
  conditional?.abort();
  conditional = undefined;
};

onSubmit("form-signin", (data) => firstStep(() => client.signIn(field(data, "username"), field(data, "password"))));
onClick("passkey-signin", async () => {
  stopOffering();
  try {
    await client.signInWithPasskey();
  } finally {
    if (!signedIn) void offerPasskeys();
  }
});
{
  const form = byId<HTMLFormElement>("form-second-step");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const button = event.submitter as HTMLButtonElement | null;
    const code = field(new FormData(form), "code").trim();
    void run(button, async () => {
      if (button?.value === "passkey") stopOffering();
      await client.completeSignIn(button?.value === "passkey" ? { passkey: true } : button?.value === "recovery_code" ? { recoveryCode: code } : { otp: code });
      form.reset();
    });
  });
}
// A role that requires a second factor: the sign-in finishes by enrolling one.
onClick("enrol-step-totp", async () => {
  const enrolment = await client.enrolTotpToSignIn("Authenticator app");
  byId("enrol-step-app").hidden = false;
  byId<HTMLImageElement>("enrol-step-qr").src = qrCode(enrolment.otpauth_uri);
  byId("enrol-step-secret").textContent = enrolment.secret;
  byId<HTMLInputElement>("enrol-step-code").focus();
});
onSubmit("form-enrol-step", async (data) => factors.recoveryCodes((await client.finishEnrolment({ otp: field(data, "code").trim() })).recoveryCodes));
onClick("enrol-step-passkey", async () => {
  stopOffering();
  factors.recoveryCodes((await client.finishEnrolment({ passkey: true })).recoveryCodes);
});
onClick("enrol-totp", async () => factors.pending(await client.enrolTotp("Authenticator app")));
onSubmit("form-totp-confirm", async (data) => {
  const form = byId<HTMLFormElement>("form-totp-confirm");
  const confirmed = await client.confirmTotp(form.dataset.factor ?? "", field(data, "code"));
  factors.pending(null);
  factors.recoveryCodes(confirmed.recovery_codes);
  await factors.refresh();
});
onClick("add-passkey", async () => {
  const name = byId<HTMLInputElement>("passkey-name").value.trim();
  const added = await client.addPasskey(name || undefined);
  byId<HTMLInputElement>("passkey-name").value = "";
  factors.recoveryCodes(added.recovery_codes);
  await factors.refresh();
});
onClick("new-recovery-codes", async () => {
  factors.recoveryCodes(await client.newRecoveryCodes());
  await factors.refresh();
});
onClick("recovery-done", async () => {
  byId("recovery-box").hidden = true;
  byId("recovery-codes").replaceChildren();
});
onSubmit("form-signup", async (data) => {
  const email = field(data, "email");
  await client.signUp({ username: field(data, "username"), password: field(data, "password"), ...(email ? { email } : {}) });
  await client.signIn(field(data, "username"), field(data, "password"));
});

// Email (docs/email.md): the same answer whether or not the address has an account.
{
  const sendForm = byId<HTMLFormElement>("form-code-send");
  sendForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const forgot = (event.submitter as HTMLButtonElement | null)?.name === "forgot";
    const email = field(new FormData(sendForm), "email");
    void run(event.submitter as HTMLButtonElement | null, async () => {
      await (forgot ? client.requestPasswordReset({ email }) : client.sendSignInCode(email));
      byId("email-note").textContent = `If ${email} is a verified address of an account, a ${forgot ? "reset link" : "sign-in code"} is on its way (without SMTP: see /dev/mail).`;
      (byId<HTMLInputElement>("code-email-again")).value = email;
    });
  });
}
onSubmit("form-code", (data) => firstStep(() => client.signInWithCode(field(data, "email"), field(data, "code"))));

onClick("call-api", async () => {
  const output = byId("api-result");
  output.textContent = "Calling GET /userinfo…";
  const response = await client.fetch("/userinfo");
  const body: unknown = await response.json().catch(() => null);
  output.dataset.status = String(response.status);
  output.textContent = `${response.status} ${response.ok ? "OK" : "refused"} · ${JSON.stringify(body)}`;
});
onClick("rotate", () => client.refresh());
onClick("list-sessions", () => listSessions());
onClick("sign-out", () => client.signOut());
onClick("sign-out-everywhere", () => client.signOutEverywhere());
byId("clear-timeline").addEventListener("click", () => timeline.clear());

byId<HTMLSelectElement>("storage-mode").addEventListener("change", (event) => {
  settings = { ...settings, storage: (event.target as HTMLSelectElement).value as StorageChoice };
  saveSettings(settings);
  diagram.reset();
  start();
});
byId<HTMLInputElement>("demo-mode").addEventListener("change", (event) => {
  settings = { ...settings, demo: (event.target as HTMLInputElement).checked };
  saveSettings(settings);
  start();
});

// Tabs: arrow keys move between them, as the ARIA tabs pattern expects.
const tabs = [byId<HTMLButtonElement>("tab-signin"), byId<HTMLButtonElement>("tab-signup")];
function selectTab(index: number): void {
  tabs.forEach((tab, i) => {
    const selected = i === index;
    tab.setAttribute("aria-selected", String(selected));
    tab.tabIndex = selected ? 0 : -1;
    byId(tab.getAttribute("aria-controls") ?? "").hidden = !selected;
  });
  tabs[index]?.focus();
}
tabs.forEach((tab, index) => {
  tab.addEventListener("click", () => selectTab(index));
  tab.addEventListener("keydown", (event) => {
    if (event.key === "ArrowRight" || event.key === "ArrowLeft") selectTab((index + 1) % tabs.length);
  });
});

window.tessera = {
  get client() {
    return client;
  },
  events,
  createClient,
};

start();
