/**
 * The step after authentication on administrative routes: the caller's roles
 * as stored now (not as the token claimed when it was issued), so removing a
 * role takes effect at the next request. 403 `forbidden` without it.
 */
import type { FastifyRequest } from "fastify";
import { TesseraError } from "../../core/errors.js";
import type { Actor, Tessera } from "../../core/api.js";
import { principalOf } from "./authenticate.js";
import { requestMeta } from "./request-meta.js";

export function requireRole(tessera: Tessera, role: string) {
  return async function requireRoleStep(request: FastifyRequest): Promise<void> {
    if (!tessera.account.roles(principalOf(request)).includes(role)) {
      throw new TesseraError("forbidden", `This needs the ${role} role.`, { detail: `missing role ${role}` });
    }
  };
}

/** The admin behind a request, for the audit log. */
export function actorOf(request: FastifyRequest): Actor {
  return { id: principalOf(request).user.id, ...requestMeta(request) };
}
