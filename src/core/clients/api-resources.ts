/**
 * APIs as resources (RFC 8707; docs/admin.md "APIs"). An operator registers
 * each API with its identifier (the `aud` of its tokens), the scopes it
 * defines and the roles that grant them. A token request names the API with
 * `resource`; the token gets that audience and only the scopes the user's
 * roles (or the client's registration) grant, intersected with what was asked.
 *
 * Policy, as RFC 6749 §3.3 lets the server choose and Auth0 does with RBAC:
 * a scope the API does not define is `invalid_scope`; a defined scope the
 * caller is not granted is left out of the token (the answer's `scope` says
 * what was granted). An unknown resource is `invalid_target` (RFC 8707 §2).
 */
import type { ApiResourceRow, Store } from "../../store/index.js";
import { invalidField, TesseraError } from "../errors.js";
import type { Actor, AuthEvents } from "../events.js";
import { validateRoles } from "../accounts/users.js";

export interface ApiResource {
  identifier: string;
  name: string;
  scopes: string[];
  /** Scope -> the roles whose holders are granted it. */
  grants: Record<string, string[]>;
  created_at: string;
  updated_at: string;
}

export interface NewApi {
  identifier: string;
  name?: string | undefined;
  scopes: string[];
  grants?: Record<string, string[]> | undefined;
}

/** What an update replaces; fields left out keep their value. */
export interface ApiChanges {
  name?: string | undefined;
  scopes?: string[] | undefined;
  grants?: Record<string, string[]> | undefined;
}

/** RFC 6749 §3.3 scope-token: printable ASCII but space, `"` and `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]{1,128}$/;
const MAX_SCOPES = 100;

export function apiView(row: ApiResourceRow): ApiResource {
  return {
    identifier: row.identifier, name: row.name, scopes: JSON.parse(row.scopes) as string[],
    grants: JSON.parse(row.grants) as Record<string, string[]>,
    created_at: new Date(row.created_at).toISOString(), updated_at: new Date(row.updated_at).toISOString(),
  };
}

/** RFC 8707 §2: an absolute URI without a fragment. Kept as written: `aud` is compared as a string. */
export function resourceProblem(identifier: string): string | undefined {
  if (identifier.length === 0 || identifier.length > 512) return "must be 1 to 512 characters";
  if (/[\s#]/.test(identifier)) return "must be an absolute URI without spaces or a fragment (#)";
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:/.test(identifier) || !URL.canParse(identifier)) return "must be an absolute URI, e.g. https://orders.example";
  return undefined;
}

function checkScopes(scopes: string[]): string[] {
  if (scopes.length === 0) throw invalidField("scopes", "name at least one scope");
  if (scopes.length > MAX_SCOPES) throw invalidField("scopes", `at most ${MAX_SCOPES}`);
  for (const s of scopes) if (!SCOPE_TOKEN.test(s)) throw invalidField("scopes", `"${s.slice(0, 64)}" is not a scope (1 to 128 printable characters, no space, " or \\)`);
  return [...new Set(scopes)];
}

function checkGrants(grants: Record<string, string[]>, scopes: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [scope, roles] of Object.entries(grants)) {
    if (!scopes.includes(scope)) throw invalidField("grants", `"${scope.slice(0, 64)}" is not one of the API's scopes (${scopes.join(" ")})`);
    if (!Array.isArray(roles) || roles.length === 0) throw invalidField("grants", `"${scope}" needs at least one role`);
    out[scope] = validateRoles(roles);
  }
  return out;
}

/** Parses a requested scope string; undefined when none was asked for. */
function requestedScopes(requested: string | undefined): string[] | undefined {
  if (requested === undefined || requested.trim() === "") return undefined;
  if (requested.length > 1000) throw new TesseraError("invalid_scope", "The scope is too long.");
  return [...new Set(requested.split(" ").filter(Boolean))];
}

export class ApiResources {
  readonly #o: { store: Store; events: AuthEvents; now: () => number; ownAudience: string };

  constructor(deps: { store: Store; events: AuthEvents; now: () => number; ownAudience: string }) {
    this.#o = deps;
  }

  async list(): Promise<ApiResource[]> {
    return (await this.#o.store.listApiResources()).map(apiView);
  }

  async get(identifier: string): Promise<ApiResource> {
    const row = identifier.length <= 512 ? await this.#o.store.findApiResource(identifier) : undefined;
    if (!row) throw new TesseraError("not_found", "No such API.");
    return apiView(row);
  }

  async create(input: NewApi, actor: Actor): Promise<ApiResource> {
    const problem = resourceProblem(input.identifier);
    if (problem) throw invalidField("identifier", problem);
    if (input.identifier === this.#o.ownAudience) throw invalidField("identifier", "is Tessera's own audience; an API needs an identifier of its own");
    const name = (input.name ?? input.identifier).trim();
    if (name.length < 1 || name.length > 100) throw invalidField("name", "must be 1 to 100 characters");
    const scopes = checkScopes(input.scopes);
    const grants = checkGrants(input.grants ?? {}, scopes);
    const now = this.#o.now();
    const row: ApiResourceRow = { identifier: input.identifier, name, scopes: JSON.stringify(scopes), grants: JSON.stringify(grants), created_at: now, updated_at: now };
    if (!(await this.#o.store.insertApiResource(row))) throw new TesseraError("api_exists", "An API with this identifier is registered already.");
    this.#audit("api.create", actor, input.identifier, { scopes, grants });
    return apiView(row);
  }

  async update(identifier: string, changes: ApiChanges, actor: Actor): Promise<ApiResource> {
    const before = await this.get(identifier);
    const name = changes.name === undefined ? before.name : changes.name.trim();
    if (name.length < 1 || name.length > 100) throw invalidField("name", "must be 1 to 100 characters");
    const scopes = changes.scopes === undefined ? before.scopes : checkScopes(changes.scopes);
    // Grants of a scope that is gone go with it; named grants replace the old ones.
    const kept = Object.fromEntries(Object.entries(before.grants).filter(([s]) => scopes.includes(s)));
    const grants = checkGrants(changes.grants ?? kept, scopes);
    const now = this.#o.now();
    if (!(await this.#o.store.updateApiResource(identifier, { name, scopes: JSON.stringify(scopes), grants: JSON.stringify(grants), updated_at: now }))) {
      throw new TesseraError("not_found", "No such API.");
    }
    this.#audit("api.update", actor, identifier, { before: { scopes: before.scopes, grants: before.grants }, after: { scopes, grants } });
    return { ...before, name, scopes, grants, updated_at: new Date(now).toISOString() };
  }

  async remove(identifier: string, actor: Actor): Promise<void> {
    if (identifier.length > 512 || !(await this.#o.store.deleteApiResource(identifier))) throw new TesseraError("not_found", "No such API.");
    this.#audit("api.remove", actor, identifier);
  }

  /** The registered API a token request names; `invalid_target` for anything else. */
  async target(resource: string): Promise<ApiResource> {
    if (resourceProblem(resource) !== undefined) throw new TesseraError("invalid_target", "resource: must be the absolute URI of a registered API.");
    const row = await this.#o.store.findApiResource(resource);
    if (!row) throw new TesseraError("invalid_target", "resource: no API is registered with this identifier.", { detail: resource.slice(0, 200) });
    return apiView(row);
  }

  /** The scopes a holder of `roles` gets at `api`, of those requested (all granted ones when none are). */
  grantForRoles(api: ApiResource, roles: string[], requested: string | undefined): string {
    const granted = api.scopes.filter((s) => (api.grants[s] ?? []).some((r) => roles.includes(r)));
    return narrow(api, granted, requestedScopes(requested));
  }

  /**
   * The scopes a client gets at `api` by client credentials: those of its
   * registration that the API defines. A client registered for none of them
   * may not get a token for the API at all.
   */
  grantForClient(api: ApiResource, clientScopes: string[], requested: string | undefined): string {
    const granted = api.scopes.filter((s) => clientScopes.includes(s));
    if (granted.length === 0) throw new TesseraError("invalid_target", "This client is not registered for any scope of this API.");
    return narrow(api, granted, requestedScopes(requested));
  }

  #audit(action: string, actor: Actor, target: string, detail?: Record<string, unknown>): void {
    this.#o.events.emit("admin-action", { action, actor, target, ...(detail ? { detail } : {}) });
  }
}

function narrow(api: ApiResource, granted: string[], wanted: string[] | undefined): string {
  if (wanted === undefined) return granted.join(" ");
  const unknown = wanted.find((s) => !api.scopes.includes(s));
  if (unknown !== undefined) {
    throw new TesseraError("invalid_scope", `Scope ${unknown.slice(0, 64)} is not defined by the API ${api.identifier} (its scopes: ${api.scopes.join(" ")}).`);
  }
  return wanted.filter((s) => granted.includes(s)).join(" ");
}
