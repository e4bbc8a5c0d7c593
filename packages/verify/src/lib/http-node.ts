/**
 * A tiny GET for Node that can unref its socket. `fetch` keeps the process
 * alive while a request is open, and the revocation feed always has one open
 * (a long poll): with fetch, a script that forgot `verifier.close()` would
 * never exit. Only background requests are unref'd: one that a `verify` is
 * awaiting must hold the process, or a script would exit mid-await.
 * Receives the modules so the universal entry needs no static `node:http`.
 */
import type * as NodeHttp from "node:http";
import type * as NodeHttps from "node:https";
import type { FetchLike, HttpResponseLike } from "../types.js";

/** Discovery, JWKS and feed answers are small; anything bigger is not one of them. */
const MAX_BODY_BYTES = 1024 * 1024;

export function createNodeFetch(http: typeof NodeHttp, https: typeof NodeHttps): FetchLike {
  return (url, init) => new Promise<HttpResponseLike>((resolve, reject) => {
    const get = url.startsWith("https:") ? https.get : http.get;
    const request = get(url, { signal: init.signal, headers: init.headers }, (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) request.destroy(new Error("response body too large"));
        else chunks.push(chunk);
      });
      response.on("error", reject);
      response.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        resolve({
          status: response.statusCode ?? 0,
          headers: { get: (name) => { const v = response.headers[name.toLowerCase()]; return v === undefined ? null : String(v); } },
          json: async () => JSON.parse(text) as unknown,
        });
      });
    });
    // The agent re-refs a pooled socket when it reuses it; 'socket' fires after that.
    if (init.background === true) request.on("socket", (socket) => socket.unref());
    request.on("error", reject);
  });
}
