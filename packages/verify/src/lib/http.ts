/**
 * One JSON GET with a timeout, shared by discovery, the JWKS and the feed.
 * Failures are plain errors: they reach `onError`, never a client.
 */
import type { FetchLike } from "../types.js";
import { unrefTimeout } from "./timers.js";

export class HttpStatusError extends Error {
  override name = "HttpStatusError";
  readonly status: number;
  constructor(url: string, status: number) {
    super(`GET ${url} answered ${status}`);
    this.status = status;
  }
}

export interface JsonResponse {
  body: unknown;
  cacheControl: string | null;
}

/**
 * GETs `url` and parses JSON. Aborts after `timeoutMs`, or when `signal`
 * aborts (close()). `background`: nobody awaits it (see http-node.ts).
 */
export async function getJson(
  fetch: FetchLike, url: string, timeoutMs: number, signal?: AbortSignal, background = false,
): Promise<JsonResponse> {
  const controller = new AbortController();
  const abort = (): void => controller.abort();
  const timer = unrefTimeout(abort, timeoutMs);
  signal?.addEventListener("abort", abort, { once: true });
  try {
    const init = { signal: controller.signal, headers: { accept: "application/json" } };
    const response = await fetch(url, background ? { ...init, background } : init);
    if (response.status !== 200) {
      // Drain the body so the connection can be reused.
      await response.json().catch(() => undefined);
      throw new HttpStatusError(url, response.status);
    }
    return { body: await response.json(), cacheControl: response.headers.get("cache-control") };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", abort);
  }
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
