// `tessera/client`: the browser and Node SDK. Zero dependencies; web platform
// APIs only (fetch, BroadcastChannel, Web Locks where present).
export { createClient, type TesseraClient } from "./client.js";
export { TesseraError } from "./errors.js";
export { decodeJwt } from "./jwt.js";
export { memoryStorage } from "./storage.js";
export type {
  AccessTokenClaims,
  AuthChangeEvent,
  AuthChangeType,
  ClientOptions,
  Registration,
  Session,
  SessionInfo,
  TokenRequest,
  TokenStorage,
  User,
} from "./types.js";
