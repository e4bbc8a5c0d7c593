// Shared fixture for the SDK's Node tests. They run against a REAL Tessera
// server on loopback (test/helpers/server.ts), one per test file, whose clock
// the test drives by hand. The client side gets a mocked `Date` (timers stay
// real, so awaits still resolve) that moves together with the server's clock —
// or apart from it, to put the two clocks minutes apart.
//
// The SDK is given the real `fetch`, wrapped thinly: the wrapper records every
// request and the status it got, and, where a test needs what a real server
// cannot produce on demand (a network failure, a 401 on a protected call), it
// injects that one fault instead of sending the request. Everything else is
// real HTTP to the real server.
import assert from "node:assert/strict";
import { after, before, type TestContext } from "node:test";
import { createClient, type AuthChangeEvent, type ClientOptions, type Session, type TesseraClient } from "../../packages/client/src/index.js";
import type { Config } from "../../src/core/config.js";
import { startTestServer, testClock, type TestServer } from "../helpers/server.js";
import { until } from "../helpers/until.js";

export const PASSWORD = "correct horse battery staple";

/** One request the SDK made, as the wrapper saw it. */
export interface Call {
  method: string;
  path: string;
  url: string;
  authorization: string | null;
  csrf: string | null;
  credentials: RequestCredentials;
  /** The body as sent; `form` parses a form or JSON body into fields. */
  text: string;
  form: Record<string, string>;
  /** The answer's status; undefined while pending or after a network failure. */
  status?: number;
  /** The answer was injected by the test, not sent to the server. */
  injected?: boolean;
}

/** Decides, per request, to answer in the server's place (return a Response) or fail it (throw). */
export type Fault = (call: Call) => Response | undefined;

/** Wraps a real `fetch`: records every request and its status; lets a test inject a fault. */
export function recordingFetch(inner: typeof fetch = globalThis.fetch) {
  const calls: Call[] = [];
  let fault: Fault | undefined;
  const wrapped: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    const text = request.body ? await request.clone().text() : "";
    const call: Call = {
      method: request.method,
      path: new URL(request.url).pathname,
      url: request.url,
      authorization: request.headers.get("authorization"),
      csrf: request.headers.get("x-csrf-token"),
      credentials: request.credentials,
      text,
      form: text.startsWith("{") ? (JSON.parse(text) as Record<string, string>) : Object.fromEntries(new URLSearchParams(text)),
    };
    calls.push(call);
    const injected = fault?.(call);
    const response = injected ?? (await inner(request));
    call.status = response.status;
    call.injected = injected !== undefined;
    return response;
  };
  return {
    fetch: wrapped,
    calls,
    /** Requests to `path` (and, for /oauth/token, of this grant type). */
    count: (path: string, grant?: string) => calls.filter((c) => c.path === path && (!grant || c.form.grant_type === grant)).length,
    /** The statuses `path` answered, in order. */
    statuses: (path: string) => calls.filter((c) => c.path === path).map((c) => c.status),
    set fault(fn: Fault | undefined) {
      fault = fn;
    },
  };
}

export type Net = ReturnType<typeof recordingFetch>;

/** A 401 as a resource server sends it (RFC 6750), for injection. */
export const refusal = (error = "invalid_token") =>
  new Response(JSON.stringify({ error }), { status: 401, headers: { "www-authenticate": `Bearer realm="api", error="${error}"`, "content-type": "application/json" } });

/**
 * Node's fetch keeps no cookies and sends no Origin. For cookie mode this
 * plays the browser's part, and nothing more: a cookie jar fed by the real
 * server's Set-Cookie headers, the Origin a page on `origin` would send
 * with an unsafe request, and the Fetch Metadata every request carries
 * (`Sec-Fetch-Site`; `same-site` is not told apart from `cross-site` here).
 */
export function browserLikeFetch(origin: string, inner: typeof fetch = globalThis.fetch) {
  const jar = new Map<string, string>();
  let jarOrigin = ""; // the cookies are host-only: they go back to the origin that set them
  const wrapped: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    const headers = new Headers(request.headers);
    const target = new URL(request.url).origin;
    const credentials = request.credentials === "include" || (request.credentials === "same-origin" && target === origin);
    if (credentials && target === jarOrigin && jar.size > 0) headers.set("cookie", [...jar].map(([name, value]) => `${name}=${value}`).join("; "));
    if (!/^(GET|HEAD)$/.test(request.method)) headers.set("origin", origin);
    headers.set("sec-fetch-site", new URL(request.url).origin === origin ? "same-origin" : "cross-site");
    const body = request.body ? await request.arrayBuffer() : undefined;
    const response = await inner(request.url, { method: request.method, headers, ...(body ? { body } : {}) });
    for (const line of response.headers.getSetCookie()) {
      const [pair = "", ...attributes] = line.split(/;\s*/);
      const name = pair.slice(0, pair.indexOf("="));
      const value = pair.slice(pair.indexOf("=") + 1);
      if (value === "" || attributes.some((a) => /^max-age=0$/i.test(a))) jar.delete(name);
      else jar.set(name, value);
      jarOrigin = target;
    }
    return response;
  };
  return { fetch: wrapped, jar };
}

export interface SetupOptions extends Partial<ClientOptions> {
  /** The server's clock minus the client's, in ms. */
  skew?: number;
  /** Plays a browser page on the server's origin (cookie jar, Origin header): for cookie mode. */
  browserLike?: boolean;
  /** With `browserLike`: the page's origin, when not the server's. */
  origin?: string;
}

/**
 * Starts a real server for this test file (before/after hooks) and returns
 * `setup`, which wires a client to it for one test.
 */
export function useTessera(config: Partial<Config> = {}) {
  const clock = testClock();
  let server: TestServer | undefined;
  let users = 0;
  before(async () => {
    server = await startTestServer({ clock, config });
  });
  after(async () => {
    await server?.close();
  });
  const running = (): TestServer => {
    assert.ok(server, "the server starts in before()");
    return server;
  };

  /** A new account on the server. */
  async function newUser(): Promise<{ username: string; password: string }> {
    const username = `sdk${process.pid}u${++users}`;
    const answer = await running().request("POST", "/auth/register", { json: { username, password: PASSWORD } });
    assert.equal(answer.status, 201, answer.text);
    return { username, password: PASSWORD };
  }

  function setup(t: TestContext, { skew = 0, browserLike = false, origin, ...clientOptions }: SetupOptions = {}) {
    const server = running();
    t.mock.timers.enable({ apis: ["Date"], now: clock.now() - skew });
    const browser = browserLike ? browserLikeFetch(origin ?? new URL(server.issuer).origin) : undefined;
    const net = recordingFetch(browser?.fetch);
    const events: AuthChangeEvent[] = [];
    const make = (options: Partial<ClientOptions> = {}): TesseraClient => {
      const client = createClient({
        baseUrl: server.url,
        fetch: net.fetch,
        // A key per test keeps clients of different tests off each other's channel.
        storageKey: `test:${t.name}`,
        ...clientOptions,
        ...options,
      });
      t.after(() => client.close());
      return client;
    };
    const client = make();
    client.onAuthChange((event) => events.push(event));
    let account: Promise<{ username: string; password: string }> | undefined;
    return {
      server,
      net,
      client,
      make,
      events,
      /** The cookie jar of `browserLike` clients. */
      jar: browser?.jar ?? new Map<string, string>(),
      types: () => events.map((e) => `${e.type}:${e.reason}`),
      /** This test's account, registered on first use. */
      account: () => (account ??= newUser()),
      newUser,
      /** Signs `who` (default: the test's client) in to this test's account. */
      async signIn(who: TesseraClient = client): Promise<Session> {
        const { username, password } = await (account ??= newUser());
        return who.signIn(username, password);
      },
      /** Both clocks move on together, as if the machine had slept. */
      advance(seconds: number) {
        clock.advance(seconds * 1000);
        t.mock.timers.tick(seconds * 1000);
      },
      /** Only the server's clock moves: the client's idea of expiry is now wrong. */
      advanceServer(seconds: number) {
        clock.advance(seconds * 1000);
      },
    };
  }

  return { setup, newUser, server: running };
}

export function waitFor(ok: () => boolean, ms = 2000): Promise<void> {
  return until("the condition", ok, ms);
}
