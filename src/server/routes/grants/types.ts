import type { FastifyReply, FastifyRequest } from "fastify";
import type { TokenResponse } from "../../../core/api.js";
import type { Tessera } from "../../../core/api.js";

/** The fields `POST /oauth/token` accepts, in either encoding. */
export interface TokenBody {
  grant_type: string;
  username?: string;
  password?: string;
  refresh_token?: string;
  scope?: string;
  /** RFC 8707: the registered API the token is for. */
  resource?: string;
  client_id?: string;
  client_secret?: string;
  /** Second factors (docs/mfa.md). */
  mfa_token?: string;
  otp?: string;
  recovery_code?: string;
  /** A WebAuthn assertion: an object in a JSON body, its JSON text in a form. */
  webauthn?: unknown;
  challenge_id?: string;
  /** The email-code grant. */
  email?: string;
  code?: string;
}

/** `reply` only for what the grant must know of the exchange (e.g. whether the client has gone: closedSignal). */
export type GrantHandler = (tessera: Tessera, request: FastifyRequest, body: TokenBody, reply: FastifyReply) => Promise<TokenResponse>;
