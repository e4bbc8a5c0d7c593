/**
 * Everything under `/admin/` (docs/admin.md): Bearer token or cookie session,
 * then the `admin` role. Both steps run before the body is validated, so an
 * anonymous or non-admin caller learns nothing about the routes' inputs:
 * 401 without credentials, 403 `forbidden` without the role. Every route that
 * changes something then needs a recent sign-in (RFC 9470 step-up, as removing
 * a factor does): a stolen admin token or session past the step-up window can
 * read, but not create users, change roles, rotate keys or reset factors.
 * Reads stay open: they change nothing a thief could use to keep access, and
 * an admin console reads all day.
 */
import type { FastifyInstance, preHandlerAsyncHookHandler } from "fastify";
import type { Tessera } from "../../../core/api.js";
import { noStore } from "../../shared/no-store.js";
import { requireRole } from "../../shared/require-role.js";
import { stepUp } from "../mfa/factors.js";
import { adminApiRoutes } from "./apis.js";
import { adminAuditRoute } from "./audit.js";
import { adminResourceRoutes } from "./resources.js";
import { adminUserRoutes } from "./users.js";
import { adminFactorRoutes } from "./factors.js";
import { adminEmailRoutes } from "./email.js";

export async function adminRoutes(app: FastifyInstance, tessera: Tessera, authenticate: preHandlerAsyncHookHandler): Promise<void> {
  await app.register(async (admin) => {
    admin.addHook("preValidation", authenticate);
    admin.addHook("preValidation", requireRole(tessera, "admin"));
    admin.addHook("preValidation", async (request) => {
      if (request.method !== "GET" && request.method !== "HEAD") stepUp(tessera, request);
    });
    admin.addHook("onSend", async (_request, reply) => {
      noStore(reply);
    });
    adminUserRoutes(admin, tessera);
    adminResourceRoutes(admin, tessera);
    adminAuditRoute(admin, tessera);
    adminFactorRoutes(admin, tessera);
    adminApiRoutes(admin, tessera);
    adminEmailRoutes(admin, tessera);
  }, { prefix: "/admin" });
}
