// Passkey relying-party settings: derived from the issuer, overridable, validated.
import assert from "node:assert/strict";
import { test } from "node:test";
import { loadConfig } from "../../src/core/config.js";
import { relyingParty } from "../../src/core/mfa/use-cases.js";

const base = { TESSERA_ISSUER: "https://auth.example.com" };

test("the RP ID and origins come from the issuer; an IP-address issuer turns passkeys off", () => {
  assert.deepEqual(relyingParty(loadConfig(base)), { rpId: "auth.example.com", origins: ["https://auth.example.com"] });
  assert.equal(relyingParty(loadConfig({ TESSERA_ISSUER: "http://127.0.0.1:3000" })), undefined);
  assert.deepEqual(relyingParty(loadConfig({ TESSERA_ISSUER: "http://localhost:3000" })), { rpId: "localhost", origins: ["http://localhost:3000"] });
});

test("overrides: a parent domain as RP ID, origins on it", () => {
  const config = loadConfig({ ...base, TESSERA_WEBAUTHN_RP_ID: "example.com", TESSERA_WEBAUTHN_ORIGINS: "https://app.example.com,https://auth.example.com" });
  assert.deepEqual(relyingParty(config), { rpId: "example.com", origins: ["https://app.example.com", "https://auth.example.com"] });
});

test("bad settings stop the start, naming the variable", () => {
  assert.throws(() => loadConfig({ ...base, TESSERA_WEBAUTHN_RP_ID: "10.0.0.1" }), /TESSERA_WEBAUTHN_RP_ID/);
  assert.throws(() => loadConfig({ ...base, TESSERA_WEBAUTHN_RP_ID: "Not A Domain" }), /TESSERA_WEBAUTHN_RP_ID/);
  assert.throws(() => loadConfig({ ...base, TESSERA_WEBAUTHN_ORIGINS: "https://evil.example" }), /TESSERA_WEBAUTHN_ORIGINS: https:\/\/evil.example is not on the RP ID auth.example.com/);
  assert.throws(() => loadConfig({ ...base, TESSERA_WEBAUTHN_ORIGINS: "https://notexample.com" , TESSERA_WEBAUTHN_RP_ID: "example.com" }), /TESSERA_WEBAUTHN_ORIGINS/);
  assert.throws(() => loadConfig({ ...base, TESSERA_MFA_TOKEN_ATTEMPTS: "0" }), /TESSERA_MFA_TOKEN_ATTEMPTS/);
});
