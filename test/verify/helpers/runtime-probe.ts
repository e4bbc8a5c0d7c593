/**
 * Child process for platform.test.ts: imports a build of tessera/verify (argv[2])
 * in a runtime *without* process.getBuiltinModule — as on Node 20.11–20.15, or
 * an edge runtime — and reports which crypto path it took and whether it verifies.
 */
const token = process.env.TOKEN ?? "";
const jwk = JSON.parse(process.env.JWK ?? "{}") as Record<string, unknown>;
delete (process as { getBuiltinModule?: unknown }).getBuiltinModule;

const entry = (await import(process.argv[2] ?? "")) as typeof import("../../../packages/verify/src/index.js");
const verifier = entry.createVerifier({ issuer: "http://issuer.test", keys: [jwk], revocation: false });
const claims = await verifier.verify(token);
let forcedNode = "accepted";
try {
  entry.createVerifier({ issuer: "http://issuer.test", keys: [jwk], revocation: false, crypto: "node" });
} catch (error) {
  forcedNode = (error as Error).name;
}
console.log(JSON.stringify({ crypto: verifier.status().crypto, sub: claims.sub, forcedNode }));
