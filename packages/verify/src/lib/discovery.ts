/**
 * RFC 8414 discovery: the issuer's metadata names `jwks_uri` and Tessera's
 * `revocation_feed_endpoint`. Fetched once, single-flight; a failure is not
 * remembered, so the next caller tries again.
 */
import type { FetchLike } from "../types.js";
import { isLoopbackHost } from "../options.js";
import { getJson, isObject } from "./http.js";

export interface IssuerMetadata {
  jwks_uri: string;
  revocation_feed_endpoint: string | undefined;
}

/** RFC 8414 §3: the well-known segment goes between the host and the issuer's path. */
export function metadataUrl(issuer: string): string {
  const url = new URL(issuer);
  const path = url.pathname === "/" ? "" : url.pathname.replace(/\/$/, "");
  return `${url.origin}/.well-known/oauth-authorization-server${path}`;
}

/** `{issuer}/oauth/revocations`, the contract's default feed location. */
export function defaultFeedUrl(issuer: string): string {
  return `${issuer.replace(/\/$/, "")}/oauth/revocations`;
}

export class Discovery {
  readonly #issuer: string;
  readonly #fetch: FetchLike;
  readonly #timeoutMs: number;
  #pending: Promise<IssuerMetadata> | undefined;

  readonly #allowInsecureHttp: boolean;

  constructor(issuer: string, fetch: FetchLike, timeoutMs: number, allowInsecureHttp = false) {
    this.#issuer = issuer;
    this.#fetch = fetch;
    this.#timeoutMs = timeoutMs;
    this.#allowInsecureHttp = allowInsecureHttp;
  }

  get(): Promise<IssuerMetadata> {
    this.#pending ??= this.#load().catch((error: unknown) => {
      this.#pending = undefined;
      throw error;
    });
    return this.#pending;
  }

  async #load(): Promise<IssuerMetadata> {
    const url = metadataUrl(this.#issuer);
    const { body } = await getJson(this.#fetch, url, this.#timeoutMs);
    if (!isObject(body)) throw new TypeError(`${url} is not a JSON object`);
    // RFC 8414 §3.3: a document for another issuer must not be used (it would
    // point us at someone else's keys).
    if (body.issuer !== this.#issuer) {
      const named = typeof body.issuer === "string" ? body.issuer.slice(0, 200) : String(body.issuer);
      throw new TypeError(`the issuer's metadata (${url}) names ${named}, not ${this.#issuer}; set issuer to that (or the server's TESSERA_ISSUER to ${this.#issuer})`);
    }
    if (typeof body.jwks_uri !== "string") throw new TypeError(`${url} has no jwks_uri`);
    const feed = body.revocation_feed_endpoint;
    // The same rule as for the options: metadata must not send us to plain http off loopback.
    for (const [field, value] of [["jwks_uri", body.jwks_uri], ["revocation_feed_endpoint", feed]] as const) {
      if (typeof value === "string" && !this.#allowInsecureHttp && insecure(value)) throw new TypeError(`${url} names a plain-http ${field} off loopback (set allowInsecureHttp to accept it)`);
    }
    return { jwks_uri: body.jwks_uri, revocation_feed_endpoint: typeof feed === "string" ? feed : undefined };
  }
}

function insecure(value: string): boolean {
  try {
    const parsed = new URL(value);
    return parsed.protocol === "http:" && !isLoopbackHost(parsed.hostname);
  } catch {
    return false; // not a URL: the fetch itself fails and says so
  }
}
