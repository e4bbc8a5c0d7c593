// An instrumented fetch for the demo: every request the client makes is
// classified (sign-in, quiet refresh, API call with a Bearer token, ...) and
// reported when it starts and when it ends, for the timeline and the diagram.

export type RequestKind =
  | "register"
  | "sign-in"
  | "refresh"
  | "api"
  | "revoke"
  | "logout-all"
  | "cookie-login"
  | "cookie-logout"
  | "discovery"
  | "second-step"
  | "passkey-signin"
  | "factors";

export interface TraceEntry {
  id: number;
  kind: RequestKind;
  method: string;
  path: string;
  startedAt: number;
  /** Abbreviation-ready Authorization header value, when one was sent. */
  authorization?: string;
  /** The X-CSRF-Token header value, when one was sent (cookie mode, unsafe methods). */
  csrf?: string;
  /** Whether the browser attaches this origin's cookies (`credentials: "include"`). */
  cookies: boolean;
  status?: number;
  ms?: number;
  /** The OAuth error code or the network failure, when the request failed. */
  error?: string;
}

function classify(method: string, path: string, grant: string | null): RequestKind {
  if (path === "/oauth/token" && grant?.endsWith(":mfa")) return "second-step";
  if (path === "/oauth/token" && grant?.endsWith(":passkey")) return "passkey-signin";
  if (path === "/oauth/token") return grant === "refresh_token" ? "refresh" : "sign-in";
  if (path === "/session/mfa" || path === "/auth/passkeys/mfa-options" || path.startsWith("/auth/mfa-enrollment/")) return "second-step";
  if (path === "/session/passkey" || path === "/auth/passkeys/login-options") return "passkey-signin";
  if (/^\/auth\/(factors|passkeys|recovery-codes)/.test(path)) return "factors";
  if (path === "/oauth/revoke") return "revoke";
  if (path === "/auth/register") return "register";
  if (path === "/auth/logout-all") return "logout-all";
  if (path === "/session/login") return "cookie-login";
  if (path === "/session/logout") return "cookie-logout";
  if (path.startsWith("/.well-known/")) return "discovery";
  return method === "POST" && path === "/auth/logout" ? "revoke" : "api";
}

/** Wraps `fetch` so that `report` sees each request twice: sent, then answered. */
export function tracedFetch(report: (entry: TraceEntry, done: boolean) => void): typeof fetch {
  let counter = 0;
  return async (input, init) => {
    const request = new Request(input, init);
    const body = init?.body;
    const grant = body instanceof URLSearchParams ? body.get("grant_type") : null;
    const path = new URL(request.url).pathname;
    const entry: TraceEntry = {
      id: ++counter,
      kind: classify(request.method, path, grant),
      method: request.method,
      path,
      startedAt: Date.now(),
      authorization: request.headers.get("authorization") ?? undefined,
      csrf: request.headers.get("x-csrf-token") ?? undefined,
      cookies: request.credentials === "include",
    };
    report(entry, false);
    try {
      const response = await fetch(request);
      entry.status = response.status;
      if (!response.ok) entry.error = await errorCode(response.clone());
      return response;
    } catch (error) {
      entry.error = error instanceof Error ? error.message : String(error);
      throw error;
    } finally {
      entry.ms = Date.now() - entry.startedAt;
      report(entry, true);
    }
  };
}

async function errorCode(response: Response): Promise<string | undefined> {
  const challenge = response.headers.get("www-authenticate")?.match(/error="([^"]+)"/)?.[1];
  if (challenge) return challenge;
  try {
    const body = (await response.json()) as { error?: string };
    return body.error;
  } catch {
    return undefined;
  }
}
