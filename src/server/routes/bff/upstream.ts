/**
 * The /bff proxy's outbound half: one request to the configured API, the path
 * sent byte for byte, the answer read up to a cap. `node:http` rather than
 * `fetch`, because `fetch` parses the URL first (WHATWG), and that turns
 * `/a/%2e%2e/b` into `/b`: the API must see exactly what the browser sent.
 */
import { request as httpRequest, type IncomingHttpHeaders, type RequestOptions } from "node:http";
import { request as httpsRequest } from "node:https";

export interface UpstreamAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** The answer was over `maxBytes`: nothing of it is passed on. */
export class UpstreamTooLarge extends Error {
  override readonly name = "UpstreamTooLarge";
}

export interface UpstreamRequest {
  /** The API's origin, e.g. `https://api.internal`. */
  origin: string;
  /** Path and query exactly as they go on the request line. */
  path: string;
  method: string;
  headers: Record<string, string>;
  body: Buffer | undefined;
  maxBytes: number;
  timeoutMs: number;
}

export function callUpstream(r: UpstreamRequest): Promise<UpstreamAnswer> {
  const url = new URL(r.origin);
  const options: RequestOptions = {
    protocol: url.protocol,
    hostname: url.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: url.port || undefined,
    path: r.path,
    method: r.method,
    headers: r.body === undefined ? r.headers : { ...r.headers, "content-length": String(r.body.length) },
    signal: AbortSignal.timeout(r.timeoutMs),
  };
  return new Promise((resolve, reject) => {
    const outgoing = (url.protocol === "https:" ? httpsRequest : httpRequest)(options, (res) => {
      const tooLarge = () => {
        res.destroy();
        reject(new UpstreamTooLarge(`the API's answer is over ${r.maxBytes} bytes`));
      };
      if (Number(res.headers["content-length"]) > r.maxBytes) return tooLarge();
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > r.maxBytes) tooLarge();
        else chunks.push(chunk);
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    outgoing.on("error", reject);
    outgoing.end(r.body);
  });
}
