/**
 * A small real issuer on loopback for unit tests: RFC 8414 metadata, a JWKS
 * with a settable Cache-Control, and the revocation feed exactly as the
 * contract in docs/verify.md describes it (cursor, since, long-poll wait, 400
 * for an unknown cursor). It counts requests and can be taken "down".
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { TestKey } from "./tokens.js";

export interface FakeIssuer {
  issuer: string;
  keys: TestKey[];
  /** Cache-Control of the JWKS answer. */
  jwksCacheControl: string;
  /** When true, every endpoint answers 503. */
  down: boolean;
  /** Extra metadata members (e.g. revocation_feed_endpoint). */
  metadataExtra: Record<string, unknown>;
  /** Artificial delay of JWKS answers, ms. */
  jwksDelay: number;
  counts: { metadata: number; jwks: number; feed: number };
  /** Every feed request's path and query, in order. */
  feedQueries: URLSearchParams[];
  feedPaths: string[];
  revoke(sid: string, exp: number): void;
  /** Forget every cursor (as after a server restart): the next `since` gets 400. */
  resetCursors(): void;
  close(): Promise<void>;
}

export async function startFakeIssuer(keys: TestKey[]): Promise<FakeIssuer> {
  const log: { sid: string; exp: number }[] = [];
  let epoch = "e1";
  const waiters = new Set<() => void>();
  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const state: FakeIssuer = {
    issuer, keys, jwksCacheControl: "public, max-age=300", down: false, metadataExtra: {}, jwksDelay: 0,
    counts: { metadata: 0, jwks: 0, feed: 0 }, feedQueries: [], feedPaths: [],
    revoke(sid, exp) {
      log.push({ sid, exp });
      for (const wake of waiters) wake();
    },
    resetCursors() {
      epoch = `e${Number(epoch.slice(1)) + 1}`;
      for (const wake of waiters) wake();
    },
    close: () => new Promise<void>((resolve) => {
      for (const wake of waiters) wake();
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };

  function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", issuer);
    if (url.pathname === "/oauth/revocations" || url.pathname === "/custom/feed") {
      state.counts.feed++;
      state.feedQueries.push(url.searchParams);
      state.feedPaths.push(url.pathname);
    }
    if (url.pathname === "/.well-known/jwks.json") state.counts.jwks++;
    if (state.down) return send(res, 503, { error: "temporarily_unavailable" });
    if (url.pathname === "/.well-known/oauth-authorization-server") {
      state.counts.metadata++;
      return send(res, 200, { issuer, jwks_uri: `${issuer}/.well-known/jwks.json`, ...state.metadataExtra });
    }
    if (url.pathname === "/.well-known/jwks.json") {
      if (state.jwksDelay > 0) await new Promise((r) => setTimeout(r, state.jwksDelay));
      return send(res, 200, { keys: state.keys.map((k) => k.jwk) }, { "cache-control": state.jwksCacheControl });
    }
    if (url.pathname === "/oauth/revocations" || url.pathname === "/custom/feed") return feed(url, res);
    send(res, 404, { error: "not_found" });
  }

  async function feed(url: URL, res: ServerResponse): Promise<void> {
    const headers = { "cache-control": "no-store" };
    const now = Date.now() / 1000;
    const since = url.searchParams.get("since");
    if (since === null) return send(res, 200, { cursor: `${epoch}:${log.length}`, revoked: log.filter((e) => e.exp > now) }, headers);
    const match = /^(e\d+):(\d+)$/.exec(since);
    const position = Number(match?.[2]);
    if (!match || match[1] !== epoch || position > log.length) return send(res, 400, { error: "invalid_request" }, headers);
    const wait = Math.min(30, Math.max(0, Number(url.searchParams.get("wait") ?? 0)));
    if (log.length === position && wait > 0) {
      await new Promise<void>((resolve) => {
        const wake = (): void => { waiters.delete(wake); clearTimeout(timer); resolve(); };
        const timer = setTimeout(wake, wait * 1000);
        waiters.add(wake);
      });
    }
    if (res.destroyed) return;
    if (match[1] !== epoch) return send(res, 400, { error: "invalid_request" }, headers);
    send(res, 200, { cursor: `${epoch}:${log.length}`, revoked: log.slice(position) }, headers);
  }

  return state;
}
