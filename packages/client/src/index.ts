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
  CookieSession,
  Factor,
  Factors,
  Passkey,
  Registration,
  SecondFactor,
  Session,
  SessionInfo,
  StepUpChallenge,
  TokenRequest,
  TokenSession,
  TokenStorage,
  TotpEnrolment,
  User,
  WebAuthnCeremonies,
} from "./types.js";
