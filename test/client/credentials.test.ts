// The SDK's credentials go to Tessera (baseUrl's origin) and the API origins
// the app configured, nowhere else: `client.fetch("https://attacker.example/…")`
// (a URL taken from a query string, a redirect target, a third-party widget)
// must not hand the user's Bearer token or CSRF token to its server, and that
// server's 401 must not refresh or end the session. Two real HTTP servers on
// loopback play the app's API and a foreign site, and record what reached them.
import assert from "node:assert/strict";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { createClient, TesseraError } from "../../packages/client/src/index.js";
import { useTessera } from "./setup.js";

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

/** A loopback HTTP server that records every request; `/deny` answers a bare 401, `/invalid` a 401 invalid_token. */
async function recorder(): Promise<{ server: Server; origin: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
      if (req.url === "/deny") res.writeHead(401, { "www-authenticate": 'Bearer realm="elsewhere"' }).end();
      else if (req.url === "/invalid") res.writeHead(401, { "www-authenticate": 'Bearer error="invalid_token"' }).end();
      else res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

let foreign: Awaited<ReturnType<typeof recorder>>;
let api: Awaited<ReturnType<typeof recorder>>;
before(async () => {
  foreign = await recorder();
  api = await recorder();
});
after(async () => {
  await new Promise((resolve) => foreign.server.close(resolve));
  await new Promise((resolve) => api.server.close(resolve));
});

const tessera = useTessera();
const last = (r: { seen: Seen[] }) => r.seen.at(-1)?.headers;

test("token mode: the Bearer token goes to baseUrl's origin and apiOrigins, never to another origin", async (t) => {
  const { client, signIn } = tessera.setup(t, { apiOrigins: [api.origin] });
  const { accessToken } = await signIn();
  assert.equal((await client.fetch(`${foreign.origin}/collect`)).status, 200);
  assert.equal(last(foreign)?.authorization, undefined, "no token for the foreign origin");
  await client.fetch(new Request(`${foreign.origin}/collect`, { method: "POST", body: "x" }));
  assert.equal(last(foreign)?.authorization, undefined, "nor when given a Request");
  // The caller's own header to a third party is theirs, and goes as they set it.
  await client.fetch(`${foreign.origin}/collect`, { headers: { authorization: "Bearer their-own-key" } });
  assert.equal(last(foreign)?.authorization, "Bearer their-own-key");

  assert.equal((await client.fetch(`${api.origin}/orders`)).status, 200);
  assert.equal(last(api)?.authorization, `Bearer ${accessToken}`, "the configured API origin gets it");
  assert.equal((await client.fetch("/userinfo")).status, 200, "and so does Tessera");
});

test("token mode: another origin's 401 neither refreshes nor signs out, and a due token is not renewed for it", async (t) => {
  const { client, net, types, signIn, advance } = tessera.setup(t, { apiOrigins: [api.origin] });
  const { accessToken } = await signIn();
  advance(900); // the token is now due for renewal
  for (const path of ["/invalid", "/deny", "/collect"]) await client.fetch(`${foreign.origin}${path}`);
  assert.deepEqual(foreign.seen.slice(-3).map((s) => s.headers.authorization), [undefined, undefined, undefined]);
  assert.equal(net.count("/oauth/token", "refresh_token"), 0, "no refresh on behalf of another origin");
  assert.equal((await client.getSession())?.accessToken, accessToken);
  assert.deepEqual(types(), ["SIGNED_IN:password"]);
  // Control: a call to the API does renew the due token first.
  await client.fetch(`${api.origin}/orders`);
  assert.equal(net.count("/oauth/token", "refresh_token"), 1);
  assert.notEqual(last(api)?.authorization, `Bearer ${accessToken}`);
});

test("a signed-out client passes requests to other origins through instead of rejecting not_signed_in", async (t) => {
  const { client } = tessera.setup(t);
  assert.equal((await client.fetch(`${foreign.origin}/collect`)).status, 200);
  await assert.rejects(client.fetch("/userinfo"), (e: unknown) => e instanceof TesseraError && e.code === "not_signed_in");
});

test("cookie mode: another origin gets no CSRF header and no credentials, and its bare 401 does not end the session", async (t) => {
  const { client, net, types, signIn } = tessera.setup(t, { mode: "cookie", browserLike: true });
  await signIn();
  await client.fetch(`${foreign.origin}/collect`, { method: "POST", body: "{}" });
  const post = net.calls.at(-1);
  assert.deepEqual([post?.csrf, post?.credentials], [null, "same-origin"]);
  assert.equal(last(foreign)?.["x-csrf-token"], undefined);
  assert.equal(last(foreign)?.cookie, undefined);
  // Tessera's own "no session" answer is a bare challenge; another origin's must not count as one.
  assert.equal((await client.fetch(`${foreign.origin}/deny`)).status, 401);
  assert.ok(await client.getSession());
  assert.deepEqual(types(), ["SIGNED_IN:password"]);
  assert.equal((await client.getUser()).auth, "cookie");
});

test("cookie mode: an origin in apiOrigins gets the CSRF header on writes and credentials: include", async (t) => {
  const { client, net, signIn } = tessera.setup(t, { mode: "cookie", browserLike: true, apiOrigins: [`${api.origin}/`] });
  const { csrfToken } = await signIn();
  await client.fetch(`${api.origin}/orders`, { method: "POST", body: "{}" });
  assert.deepEqual([net.calls.at(-1)?.csrf, net.calls.at(-1)?.credentials], [csrfToken, "include"]);
  assert.equal(last(api)?.["x-csrf-token"], csrfToken);
});

test("apiOrigins takes origins only: a path, a query or a non-URL is a TypeError at createClient", () => {
  for (const bad of ["https://api.example.com/v1", "https://api.example.com?x=1", "api.example.com", "not a url", "data:text/plain,x"]) {
    assert.throws(() => createClient({ baseUrl: "https://auth.example.com", apiOrigins: [bad] }), TypeError, bad);
  }
  assert.doesNotThrow(() => createClient({ baseUrl: "https://auth.example.com", apiOrigins: ["https://api.example.com", "http://localhost:8080/"], crossTab: false }));
});
