/** RFC 6749 §4.3: the sign-in. First-party clients only (checked in the core). */
import { clientCredentials } from "../../shared/client-auth.js";
import { closedSignal } from "../../shared/closed-signal.js";
import { requestMeta } from "../../shared/request-meta.js";
import { requireField } from "./require-field.js";
import type { GrantHandler } from "./types.js";

export const passwordGrant: GrantHandler = (tessera, request, body, reply) =>
  tessera.tokens.passwordGrant(
    clientCredentials(request, body),
    { username: requireField(body.username, "username"), password: requireField(body.password, "password"), scope: body.scope },
    { ...requestMeta(request), signal: closedSignal(reply) },
  );
