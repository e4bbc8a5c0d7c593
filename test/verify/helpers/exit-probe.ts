/**
 * Child process for the "never keeps a process alive" test: verifies one
 * token with the feed on, waits until a long poll is open, and returns
 * without close(). Exits only if nothing of the verifier holds the loop.
 */
import { createVerifier } from "../../../packages/verify/src/index.js";

const verifier = createVerifier({ issuer: process.env.ISSUER ?? "", keys: [JSON.parse(process.env.JWK ?? "{}") as never] });
const claims = await verifier.verify(process.env.TOKEN ?? "");
console.log(`verified ${claims.sub}`);
await new Promise((resolve) => setTimeout(resolve, 300));
