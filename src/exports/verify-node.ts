/**
 * `tessera/verify/node`: `@tessera/verify/node`, re-exported (see ./verify.ts).
 *
 * @module tessera/verify/node
 */
export * from "@tessera/verify/node";
