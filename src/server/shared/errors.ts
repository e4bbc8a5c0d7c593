/**
 * Turns every failure into the contract's shape: `{error, error_description}`
 * with a stable code. Fastify's own errors (bad JSON, body too large, schema
 * violations) are mapped to codes here; anything unexpected is logged and
 * answered with a bare server_error, never a message or a stack.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { TesseraError, type ErrorCode } from "../../core/errors.js";

interface ValidationIssue {
  instancePath?: string;
  message?: string;
  params?: Record<string, unknown>;
  keyword?: string;
}

function fieldOf(issue: ValidationIssue): string {
  if (issue.keyword === "required" && typeof issue.params?.missingProperty === "string") return issue.params.missingProperty;
  if (issue.keyword === "additionalProperties" && typeof issue.params?.additionalProperty === "string") return issue.params.additionalProperty;
  return issue.instancePath?.replace(/^\//, "").replace(/\//g, ".") || "body";
}

function describeValidation(issue: ValidationIssue): string {
  if (issue.keyword === "required") return `${fieldOf(issue)}: is required`;
  if (issue.keyword === "additionalProperties") return `${fieldOf(issue)}: is not a known field`;
  return `${fieldOf(issue)}: ${issue.message ?? "is invalid"}`;
}

/** Maps a Fastify-level error (not ours) to a code and a safe message. */
function translate(error: FastifyError): { code: ErrorCode; message: string } | undefined {
  if (error.validation && error.validation.length > 0) {
    return { code: "invalid_request", message: describeValidation(error.validation[0] as ValidationIssue) };
  }
  switch (error.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE": return { code: "payload_too_large", message: "The request body is over the 16 KiB limit." };
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE": return { code: "unsupported_media_type", message: "Send application/json or application/x-www-form-urlencoded." };
    case "FST_ERR_CTP_EMPTY_JSON_BODY": return { code: "invalid_request", message: "The JSON body is empty." };
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH": return { code: "invalid_request", message: "Content-Length does not match the body." };
  }
  if (error instanceof SyntaxError || error.code === "FST_ERR_CTP_INVALID_JSON_BODY") return { code: "invalid_request", message: "The body is not valid JSON." };
  const status = error.statusCode ?? 500;
  if (status === 413) return { code: "payload_too_large", message: "The request body is too large." };
  if (status === 415) return { code: "unsupported_media_type", message: "Unsupported content type." };
  if (status >= 400 && status < 500) return { code: "invalid_request", message: "The request is malformed." };
  return undefined;
}

/** RFC 6750 §3: the WWW-Authenticate value for a protected-resource failure. */
export function bearerChallenge(error?: TesseraError): string {
  if (!error) return 'Bearer realm="tessera"';
  const description = error.message.replace(/["\\]/g, "'");
  const scope = error.scope === undefined ? "" : `, scope="${error.scope}"`;
  const acr = error.challenge?.acrValues === undefined ? "" : `, acr_values="${error.challenge.acrValues}"`;
  const maxAge = error.challenge?.maxAge === undefined ? "" : `, max_age=${error.challenge.maxAge}`;
  return `Bearer realm="tessera", error="${error.code}", error_description="${description}"${scope}${acr}${maxAge}`;
}

/**
 * RFC 6749 §5.2 on the OAuth endpoints (`/oauth/*`): an error is a 400 (401 for
 * `invalid_client`), so a body of another content type is an `invalid_request`
 * there rather than the 415 of every other route; and a client that tried Basic
 * authentication and failed gets a Basic challenge.
 */
function asOAuthError(request: FastifyRequest, reply: FastifyReply, error: TesseraError): TesseraError {
  if (!request.url.startsWith("/oauth/")) return error;
  if (error.code === "invalid_client" && /^basic /i.test(request.headers.authorization ?? "")) reply.header("www-authenticate", 'Basic realm="tessera"');
  if (error.code === "unsupported_media_type") {
    return new TesseraError("invalid_request", "Send the body as application/x-www-form-urlencoded or application/json.", { detail: error.detail });
  }
  return error;
}

export function sendError(reply: FastifyReply, error: TesseraError): FastifyReply {
  reply.header("cache-control", "no-store");
  if (error.retryAfter !== undefined) reply.header("retry-after", String(Math.ceil(error.retryAfter)));
  if (error.code === "invalid_token" || error.code === "insufficient_scope" || error.code === "insufficient_user_authentication") reply.header("www-authenticate", bearerChallenge(error));
  if (error.code === "unauthorized") reply.header("www-authenticate", bearerChallenge());
  const body: Record<string, unknown> = { error: error.code, error_description: error.message };
  if (error.reason !== undefined) body.reason = error.reason;
  if (error.fields !== undefined) Object.assign(body, error.fields);
  return reply.code(error.status).send(body);
}

/** Seconds a client is asked to wait when the store cannot answer now. */
const STORE_RETRY_AFTER = 1;

/** `storeUnavailable`: whether an error means the database cannot answer now (a 503 with Retry-After, not a 500). */
export function installErrorHandling(app: FastifyInstance, storeUnavailable: (error: unknown) => boolean = () => false): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof TesseraError) {
      if (error.detail) request.log.info({ code: error.code, detail: error.detail }, "request refused");
      return sendError(reply, asOAuthError(request, reply, error));
    }
    const known = translate(error);
    if (known) return sendError(reply, asOAuthError(request, reply, new TesseraError(known.code, known.message)));
    if (storeUnavailable(error)) {
      request.log.warn({ err: error }, "store unavailable");
      return sendError(reply, new TesseraError("temporarily_unavailable", "The server cannot reach its database right now; try again shortly.", { retryAfter: STORE_RETRY_AFTER }));
    }
    request.log.error({ err: error }, "unexpected error");
    return sendError(reply, new TesseraError("server_error", "The server failed to handle the request."));
  });
  app.setNotFoundHandler((request, reply) => {
    sendError(reply, new TesseraError("not_found", `No route for ${request.method} ${request.url.split("?")[0]!.slice(0, 200)}.`));
  });
}
