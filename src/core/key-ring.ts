/** The key ring lives in keys/key-ring.ts; the access-token verifier still imports it from here. */
export * from "./keys/key-ring.js";
