/**
 * Picks the crypto backend and HTTP client for the runtime. On Node (and
 * other runtimes that offer it) `process.getBuiltinModule` hands over
 * node:crypto and node:http with no import statement, so bundlers for edge
 * runtimes see nothing to resolve.
 * Node 20.11–20.15 lack it; they take the WebCrypto path unless the app
 * imports the `node.ts` entry, which passes the modules in explicitly.
 */
import type * as NodeCrypto from "node:crypto";
import type * as NodeHttp from "node:http";
import type * as NodeHttps from "node:https";
import type { FetchLike, VerifierOptions } from "../types.js";
import type { CryptoBackend } from "./crypto-backend.js";
import { createNodeBackend } from "./crypto-node.js";
import { webBackend } from "./crypto-web.js";
import { createNodeFetch } from "./http-node.js";

export interface NodeModules {
  crypto: typeof NodeCrypto;
  http: typeof NodeHttp;
  https: typeof NodeHttps;
}

export interface Platform {
  backend: CryptoBackend;
  fetch: FetchLike | undefined;
}

/** The Node modules, if this runtime can hand them over without an import. */
export function builtinNodeModules(): NodeModules | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const get = proc?.getBuiltinModule;
  if (typeof get !== "function") return undefined;
  return {
    crypto: get("node:crypto") as typeof NodeCrypto,
    http: get("node:http") as typeof NodeHttp,
    https: get("node:https") as typeof NodeHttps,
  };
}

export function choosePlatform(options: Pick<VerifierOptions, "crypto" | "fetch">, node: NodeModules | undefined): Platform {
  const want = options.crypto ?? "auto";
  if (want === "node" && !node) throw new TypeError('crypto: "node" needs node:crypto (Node ≥ 20.16, or import the tessera/verify node entry)');
  const useNode = node !== undefined && want !== "webcrypto";
  const fallbackFetch = typeof globalThis.fetch === "function" ? (globalThis.fetch.bind(globalThis) as FetchLike) : undefined;
  return {
    backend: useNode ? createNodeBackend(node.crypto) : webBackend,
    fetch: options.fetch ?? (node ? createNodeFetch(node.http, node.https) : fallbackFetch),
  };
}
