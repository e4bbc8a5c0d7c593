/**
 * Wires a verifier together: options, crypto backend, key source, token
 * cache, revocation follower, and the pipeline (pipeline.ts) that checks.
 */
import { resolveOptions } from "../options.js";
import type { AccessTokenClaims, FetchLike, Verifier, VerifierOptions } from "../types.js";
import { defaultFeedUrl, Discovery } from "./discovery.js";
import { createLogOnce, describeChain, logOnceKey } from "./log-once.js";
import { LocalKeys, type KeySource } from "./key-source.js";
import { createPipeline } from "./pipeline.js";
import { choosePlatform, type NodeModules } from "./platform.js";
import { RemoteJwks } from "./remote-jwks.js";
import { RevocationFollower } from "./revocation-follower.js";
import { RevokedSessions } from "./revoked-sessions.js";
import { TokenCache } from "./token-cache.js";
import { verifyNow, type VerifierInternals } from "./verify-now.js";

function noFetch(): FetchLike {
  return () => Promise.reject(new Error("no fetch available: pass options.fetch"));
}

export function buildVerifier(options: VerifierOptions, node: NodeModules | undefined): Verifier {
  const config = resolveOptions(options);
  const { backend, fetch = noFetch() } = choosePlatform(options, node);
  const clock = options.clock ?? Date.now;
  if (options.logger !== undefined && options.logger !== false && typeof options.logger?.warn !== "function") {
    throw new TypeError("createVerifier: logger must be an object with a warn(message) method, or false");
  }
  const log = createLogOnce(options.logger);
  const report = (error: Error): void => {
    options.onError?.(error);
    log(describeChain(error));
  };
  const cache = config.cache === false ? undefined : new TokenCache(config.cache.maxEntries, config.cache.maxBytes);
  const policy = { issuer: config.issuer, audiences: config.audiences, clockTolerance: config.clockTolerance };

  const discovery = options.keys === undefined && options.jwksUri === undefined
    ? new Discovery(config.issuer, fetch, config.jwks.timeout * 1000, config.allowInsecureHttp) : undefined;
  const keys: KeySource = options.keys !== undefined
    ? new LocalKeys(Array.isArray(options.keys) ? { keys: options.keys } : options.keys, config.algorithms, backend, report, clock)
    : new RemoteJwks({
      ...config.jwks, fetch, clock, backend, report,
      algorithms: config.algorithms,
      uri: discovery ? async () => (await discovery.get()).jwks_uri : async () => options.jwksUri as string,
      onChange: () => cache?.clear(),
    });

  const sessions = new RevokedSessions(config.clockTolerance);
  const feed = config.revocation;
  const follower = feed === false ? undefined : new RevocationFollower({
    ...feed, fetch, clock, sessions, report,
    endpoint: async () => feed.endpoint
      ?? (discovery ? (await discovery.get()).revocation_feed_endpoint : undefined)
      ?? defaultFeedUrl(config.issuer),
  });
  let started: Promise<void> | undefined;
  let startedDone = false;
  const start = (): Promise<void> => (started ??= (follower?.start() ?? Promise.resolve()).then(() => { startedDone = true; }));

  const pipeline = createPipeline({ algorithms: config.algorithms, backend, keys, sessions, cache, clock, policy });

  const verifier: VerifierInternals & { [logOnceKey]: unknown } = {
    [logOnceKey]: { log, audiences: [...config.audiences] },
    issuer: config.issuer,
    verify(token: string): Promise<AccessTokenClaims> {
      // Until the first revocation snapshot is in (or given up on), a cached or
      // fresh token could belong to a session that ended before we started.
      return startedDone ? pipeline.verify(token) : start().then(() => pipeline.verify(token));
    },
    [verifyNow]: (token) => (startedDone ? pipeline.run(token) : start().then(() => pipeline.run(token))),
    async ready(): Promise<void> {
      await Promise.all([keys.load(), start()]);
    },
    status() {
      return {
        crypto: backend.name,
        keys: keys.size,
        keysLoadedAt: keys.loadedAt,
        cachedTokens: cache?.size ?? 0,
        cachedBytes: cache?.bytes ?? 0,
        revokedSessions: sessions.size,
        revocationSyncedAt: follower?.syncedAt ?? null,
      };
    },
    close(): void {
      follower?.close();
      cache?.clear();
    },
  };
  return verifier;
}
