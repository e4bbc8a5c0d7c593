/**
 * OAuth clients: the built-in first-party public clients (`tessera-web`, and
 * `tessera-demo` whose short-lived tokens the demo page uses to show expiry),
 * and confidential clients registered with the CLI (secret shown once, stored
 * as SHA-256: it is a 256-bit random string, so a slow hash adds nothing).
 */
import type { ClientRow, Store } from "../../store/index.js";
import { randomToken, safeEqual, sha256 } from "../crypto-utils.js";
import { invalidField, TesseraError } from "../errors.js";

export const WEB_CLIENT_ID = "tessera-web";
export const DEMO_CLIENT_ID = "tessera-demo";
export const DEMO_ACCESS_TOKEN_TTL = 20;

export type GrantType = "password" | "refresh_token" | "client_credentials";
export const GRANT_TYPES: readonly GrantType[] = ["password", "refresh_token", "client_credentials"];

/** What the HTTP layer extracted; the core decides what it proves. */
export interface ClientCredentials {
  clientId?: string | undefined;
  clientSecret?: string | undefined;
}

export interface NewClient {
  name: string;
  id?: string;
  grantTypes?: GrantType[];
  scopes?: string[];
  firstParty?: boolean;
  public?: boolean;
}

const CLIENT_ID = /^[A-Za-z0-9._-]{3,64}$/;

export function grantTypesOf(client: ClientRow): GrantType[] {
  return JSON.parse(client.grant_types) as GrantType[];
}

export function scopesOf(client: ClientRow): string[] {
  return JSON.parse(client.scopes) as string[];
}

function invalidClient(detail: string): TesseraError {
  return new TesseraError("invalid_client", "Client authentication failed.", { detail });
}

/**
 * Clients found by id are kept this long. Every token request starts by finding
 * its client, and client rows are only ever inserted (built-ins are rewritten at
 * start), so the read is pure overhead on the hot path; the bound still lets a
 * change made by another process show within a minute. Unknown ids are never
 * cached: a client registered with the CLI works at once.
 */
const CLIENT_CACHE_MS = 60_000;
const CLIENT_CACHE_SIZE = 1000;

export class ClientService {
  readonly #store: Store;
  readonly #now: () => number;
  readonly #supportedScopes: string[];
  readonly #cache = new Map<string, { client: ClientRow; until: number }>();
  readonly #apiScopes: () => Promise<string[]>;

  /** `apiScopes`: the scopes of the registered APIs, which a client may be registered for too. */
  constructor(store: Store, now: () => number, supportedScopes: string[], apiScopes: () => Promise<string[]> = async () => []) {
    this.#store = store;
    this.#now = now;
    this.#supportedScopes = supportedScopes;
    this.#apiScopes = apiScopes;
  }

  /** Creates or updates the built-in clients (their rows follow the code and config). */
  async ensureBuiltins(accessTokenTtlSeconds: number): Promise<void> {
    const base = {
      secret_hash: null, type: "public" as const, first_party: 1,
      grant_types: JSON.stringify(["password", "refresh_token"]), scopes: JSON.stringify(this.#supportedScopes),
      created_at: this.#now(), disabled_at: null,
    };
    await this.#store.upsertClient({ ...base, id: WEB_CLIENT_ID, name: "Tessera web (built-in)", access_token_ttl: null });
    await this.#store.upsertClient({
      ...base, id: DEMO_CLIENT_ID, name: "Tessera demo page (short-lived tokens)",
      access_token_ttl: Math.min(DEMO_ACCESS_TOKEN_TTL, accessTokenTtlSeconds),
    });
  }

  /** Registers a client; for a confidential one, the answer holds the only copy of its secret. */
  async register(input: NewClient): Promise<{ client: ClientRow; secret?: string }> {
    const id = input.id ?? `client_${randomToken(12)}`;
    if (!CLIENT_ID.test(id)) throw invalidField("client_id", "must be 3 to 64 characters of A-Z a-z 0-9 . _ -");
    const name = input.name.trim();
    if (name.length < 1 || name.length > 100) throw invalidField("name", "must be 1 to 100 characters");
    const grantTypes = input.grantTypes ?? ["client_credentials"];
    for (const g of grantTypes) if (!GRANT_TYPES.includes(g)) throw invalidField("grant_types", `unknown grant type ${g}`);
    const scopes = input.scopes ?? this.#supportedScopes;
    const known = input.scopes ? [...this.#supportedScopes, ...(await this.#apiScopes())] : this.#supportedScopes;
    for (const s of scopes) if (!known.includes(s)) throw invalidField("scopes", `unknown scope ${s} (neither the server's nor a registered API's)`);
    if (input.public && grantTypes.includes("client_credentials")) throw invalidField("grant_types", "a public client cannot use client_credentials");
    const secret = input.public ? undefined : `tss_${randomToken(32)}`;
    const client: ClientRow = {
      id, name, secret_hash: secret === undefined ? null : sha256(secret), type: input.public ? "public" : "confidential",
      first_party: input.firstParty ? 1 : 0, grant_types: JSON.stringify(grantTypes), scopes: JSON.stringify(scopes),
      access_token_ttl: null, created_at: this.#now(), disabled_at: null,
    };
    if (!(await this.#store.insertClient(client))) throw new TesseraError("client_exists", "A client with that id exists.");
    return secret === undefined ? { client } : { client, secret };
  }

  list(): Promise<ClientRow[]> {
    return this.#store.listClients();
  }

  /** A disabled client cannot authenticate, and Tessera refuses its tokens (other processes see it within CLIENT_CACHE_MS). */
  async setDisabled(id: string, disabled: boolean): Promise<ClientRow> {
    await this.#changeable(id);
    await this.#store.updateClient(id, { disabled_at: disabled ? this.#now() : null });
    this.#cache.delete(id);
    return (await this.#store.findClient(id))!;
  }

  /** Deletes a client: its refresh tokens stop working, Tessera refuses its access tokens. */
  async remove(id: string): Promise<void> {
    await this.#changeable(id);
    await this.#store.deleteClient(id);
    this.#cache.delete(id);
  }

  /** A new secret for a confidential client (the answer holds the only copy); the old one stops working. */
  async rotateSecret(id: string): Promise<string> {
    const client = await this.#changeable(id);
    if (client.type !== "confidential") throw new TesseraError("invalid_request", "A public client has no secret.");
    const secret = `tss_${randomToken(32)}`;
    await this.#store.updateClient(id, { secret_hash: sha256(secret) });
    this.#cache.delete(id);
    return secret;
  }

  /** Whether tokens of this client may still be honoured (it exists and is not disabled). */
  async usable(id: string): Promise<boolean> {
    const client = await this.#find(id);
    return client !== undefined && client.disabled_at === null;
  }

  async #changeable(id: string): Promise<ClientRow> {
    if (id === WEB_CLIENT_ID || id === DEMO_CLIENT_ID) throw new TesseraError("forbidden", "The built-in clients cannot be removed, disabled or given a secret.");
    const client = id.length <= 64 ? await this.#store.findClient(id) : undefined;
    if (!client) throw new TesseraError("not_found", "No such client.");
    return client;
  }

  /**
   * Identifies the calling client. No id at all means the built-in web client.
   * A confidential client must prove its secret; a public one must not send one.
   */
  async authenticate(credentials: ClientCredentials, options: { requireConfidential?: boolean } = {}): Promise<ClientRow> {
    const id = credentials.clientId ?? WEB_CLIENT_ID;
    const client = id.length <= 64 ? await this.#find(id) : undefined;
    if (!client) throw invalidClient("unknown client");
    if (client.disabled_at !== null) throw invalidClient("client disabled");
    if (client.type === "confidential") {
      if (credentials.clientSecret === undefined) throw invalidClient("secret missing");
      if (client.secret_hash === null || !safeEqual(sha256(credentials.clientSecret), client.secret_hash)) throw invalidClient("wrong secret");
    } else {
      if (credentials.clientSecret !== undefined) throw invalidClient("public client sent a secret");
      if (options.requireConfidential) throw invalidClient("confidential client required");
    }
    return client;
  }

  async #find(id: string): Promise<ClientRow | undefined> {
    const now = this.#now();
    const cached = this.#cache.get(id);
    if (cached && cached.until > now) return cached.client;
    const client = await this.#store.findClient(id);
    if (!client) return undefined;
    if (this.#cache.size >= CLIENT_CACHE_SIZE) this.#cache.clear();
    this.#cache.set(id, { client, until: now + CLIENT_CACHE_MS });
    return client;
  }

  /** Throws unauthorized_client unless the client may use the grant. */
  assertGrant(client: ClientRow, grant: GrantType): void {
    if (!grantTypesOf(client).includes(grant)) throw new TesseraError("unauthorized_client", `This client may not use the ${grant} grant.`);
    if (grant === "password" && client.first_party !== 1) {
      throw new TesseraError("unauthorized_client", "The password grant is reserved for first-party clients.");
    }
  }

  /** The granted scope: the request (each scope allowed) or, when absent, the defaults the client may have. */
  resolveScope(client: ClientRow, requested: string | undefined, defaults: string[]): string {
    const allowed = scopesOf(client);
    if (requested === undefined || requested.trim() === "") return defaults.filter((s) => allowed.includes(s)).join(" ");
    const wanted = [...new Set(requested.split(" ").filter(Boolean))];
    const bad = wanted.find((s) => !allowed.includes(s));
    if (bad !== undefined || requested.length > 1000) throw new TesseraError("invalid_scope", `Scope not allowed: ${(bad ?? "").slice(0, 64)}`);
    return wanted.join(" ");
  }
}
