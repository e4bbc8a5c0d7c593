/**
 * A software WebAuthn authenticator for server tests: real P-256 keys, real
 * CBOR attestation objects ("none" format) and real ES256 assertions, so the
 * server's verification runs exactly as it does for a browser. (Chromium's
 * virtual authenticator covers the browser side: *.browser.test.ts.)
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from "node:crypto";
import { isoCBOR } from "@simplewebauthn/server/helpers";

interface Credential { id: string; key: KeyObject; userHandle: string; rpId: string; counter: number }

export interface SoftAuthenticatorOptions {
  origin: string;
  /** User verification performed (the UV flag); default true. */
  userVerified?: boolean;
  /** Backed-up (synced) credential flags; default false. */
  backedUp?: boolean;
}

const sha = (data: Buffer | string) => createHash("sha256").update(data).digest();

export class SoftAuthenticator {
  readonly credentials: Credential[] = [];
  constructor(readonly options: SoftAuthenticatorOptions) {}

  #flags(attested: boolean): number {
    const uv = this.options.userVerified ?? true;
    const backup = this.options.backedUp ?? false;
    return 0x01 | (uv ? 0x04 : 0) | (backup ? 0x18 : 0) | (attested ? 0x40 : 0);
  }

  #clientData(type: string, challenge: string, origin = this.options.origin): string {
    return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false })).toString("base64url");
  }

  /** navigator.credentials.create(), given the server's creation options (JSON). */
  create(options: Record<string, unknown>, overrides: { origin?: string; rpId?: string } = {}): Record<string, unknown> {
    const rpId = overrides.rpId ?? (options.rp as { id: string }).id;
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const jwk = publicKey.export({ format: "jwk" });
    const credentialId = randomBytes(16);
    const cose = isoCBOR.encode(new Map<number, number | Uint8Array>([[1, 2], [3, -7], [-1, 1], [-2, Buffer.from(jwk.x!, "base64url")], [-3, Buffer.from(jwk.y!, "base64url")]]));
    const counter = Buffer.alloc(4);
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(credentialId.length);
    const authData = Buffer.concat([sha(rpId), Buffer.from([this.#flags(true)]), counter, Buffer.alloc(16), idLength, credentialId, Buffer.from(cose)]);
    const attestationObject = isoCBOR.encode(new Map<string, unknown>([["fmt", "none"], ["attStmt", new Map()], ["authData", authData]]) as never);
    const id = credentialId.toString("base64url");
    this.credentials.push({ id, key: privateKey, userHandle: (options.user as { id: string }).id, rpId, counter: 0 });
    return {
      id, rawId: id, type: "public-key", clientExtensionResults: {},
      response: { clientDataJSON: this.#clientData("webauthn.create", options.challenge as string, overrides.origin), attestationObject: Buffer.from(attestationObject).toString("base64url"), transports: ["internal"] },
    };
  }

  /** navigator.credentials.get(), given the server's request options (JSON). */
  get(options: Record<string, unknown>, overrides: { origin?: string; rpId?: string; credential?: Credential } = {}): Record<string, unknown> {
    const allowed = (options.allowCredentials as Array<{ id: string }> | undefined) ?? [];
    const credential = overrides.credential ?? this.credentials.find((c) => allowed.length === 0 || allowed.some((a) => a.id === c.id));
    if (!credential) throw new Error("no credential for these options");
    credential.counter += 1;
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(credential.counter);
    const authData = Buffer.concat([sha(overrides.rpId ?? credential.rpId), Buffer.from([this.#flags(false)]), counter]);
    const clientDataJSON = this.#clientData("webauthn.get", options.challenge as string, overrides.origin);
    const signature = sign("sha256", Buffer.concat([authData, sha(Buffer.from(clientDataJSON, "base64url"))]), credential.key);
    return {
      id: credential.id, rawId: credential.id, type: "public-key", clientExtensionResults: {},
      response: { clientDataJSON, authenticatorData: authData.toString("base64url"), signature: signature.toString("base64url"), userHandle: credential.userHandle },
    };
  }
}
