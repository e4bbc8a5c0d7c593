/**
 * The access tokens the BFF forwards for a cookie session (docs/tokens-vs-cookies.md):
 * minted for the session's client once and served from a cache until 30 s before they
 * expire, so a page's burst of API calls costs one signature.
 */
import type { Principal } from "../api.js";
import type { ClientService } from "../clients/clients.js";
import type { TokenService } from "../tokens/token-service.js";

/** A cached token is replaced this long before it expires. */
const REPLACE_MARGIN_SECONDS = 30;
/** Sessions cached at most; past this the cache starts over. */
const MAX_CACHED_SESSIONS = 10_000;

export class BffTokens {
  readonly #entries = new Map<string, { token: string; expSeconds: number }>();

  constructor(private readonly d: { clients: ClientService; tokens: TokenService; now: () => number }) {}

  async accessToken(p: Extract<Principal, { auth: "cookie" }>): Promise<string> {
    const nowSeconds = Math.floor(this.d.now() / 1000);
    const hit = this.#entries.get(p.session.id);
    if (hit && hit.expSeconds - REPLACE_MARGIN_SECONDS > nowSeconds) return hit.token;
    const client = await this.d.clients.authenticate({ clientId: p.session.client_id });
    const minted = this.d.tokens.sessionAccessToken(p.session, p.user, client);
    if (this.#entries.size > MAX_CACHED_SESSIONS) this.#entries.clear();
    this.#entries.set(p.session.id, { token: minted.token, expSeconds: minted.claims.exp });
    return minted.token;
  }
}
