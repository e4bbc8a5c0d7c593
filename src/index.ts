/**
 * `tessera`: the server entry points. Resource servers import `@tessera/verify`;
 * browsers and Node clients import `@tessera/client` (`tessera/verify` and
 * `tessera/client` re-export them).
 */
export * from "./server/index.js";
export { errorCodes, TesseraError, type ErrorCode } from "./core/errors.js";
