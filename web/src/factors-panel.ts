// Second factors (docs/mfa.md): the factor list with Remove buttons, an
// authenticator app enrolled by scanning a QR code (uqr, bundled into the
// page at build time: nothing is fetched), passkeys named and added, and
// recovery codes shown once.
import { renderSVG } from "uqr";
import type { Factors, TesseraClient, TotpEnrolment } from "../../packages/client/src/index.js";
import { byId, h } from "./dom.js";

export interface FactorsPanel {
  /** Lists the factors again. */
  refresh(): Promise<void>;
  /** Shows the QR code and secret of a pending authenticator app. */
  pending(enrolment: TotpEnrolment | null): void;
  /** Shows recovery codes, once. */
  recoveryCodes(codes: string[] | undefined): void;
  hide(): void;
}

/** An otpauth URI as a QR code image (SVG, made here: nothing is fetched). */
export function qrCode(otpauthUri: string): string {
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(renderSVG(otpauthUri))}`;
}

export function createFactorsPanel(client: () => TesseraClient, remove: (id: string) => void): FactorsPanel {
  const card = byId("factors-card");
  const render = ({ factors, recovery_codes_left: left }: Factors) => {
    card.hidden = false;
    byId("factor-list").replaceChildren(
      ...factors.map((f) => {
        const button = h("button", { type: "button", class: "quiet danger", text: "Remove", "aria-label": `Remove ${f.type} ${f.name}` });
        button.addEventListener("click", () => remove(f.id));
        const used = f.last_used_at ? `last used ${new Date(f.last_used_at).toLocaleString()}` : "never used";
        return h("li", { "data-factor": f.id, "data-type": f.type }, h("div", { class: "session-main" }, h("strong", { text: f.name }), h("span", { class: "badge", text: f.type })), h("div", { class: "session-meta muted", text: `added ${new Date(f.created_at).toLocaleString()} · ${used}` }), button);
      }),
    );
    byId("factors-summary").textContent = factors.length ? `${left} recovery codes left.` : "No second factor yet: a password alone signs in.";
    byId<HTMLButtonElement>("new-recovery-codes").hidden = factors.length === 0;
  };
  return {
    async refresh() {
      render(await client().getFactors());
    },
    pending(enrolment) {
      const form = byId<HTMLFormElement>("form-totp-confirm");
      form.hidden = !enrolment;
      if (!enrolment) return;
      form.dataset.factor = enrolment.factor_id;
      byId<HTMLImageElement>("totp-qr").src = qrCode(enrolment.otpauth_uri);
      byId("totp-secret").textContent = enrolment.secret;
      byId<HTMLInputElement>("totp-code").focus();
    },
    recoveryCodes(codes) {
      if (!codes?.length) return;
      byId("recovery-box").hidden = false;
      byId("recovery-codes").replaceChildren(...codes.map((code) => h("li", { text: code })));
    },
    hide() {
      card.hidden = true;
      byId("recovery-box").hidden = true;
      byId("recovery-codes").replaceChildren();
      byId("form-totp-confirm").hidden = true;
    },
  };
}
