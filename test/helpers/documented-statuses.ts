/**
 * Answered statuses ⊆ documented statuses, checked by every test server.
 *
 * `startTestServer` installs a recorder (an onResponse hook added before any
 * route, so it sees every answer: `request()`, direct fetches, browsers) and,
 * at `close()`, compares what its server answered with the server's own
 * OpenAPI document (`app.swagger()`). A status an operation answered but does
 * not document fails the file that started the server, naming
 * `METHOD /route answered NNN` on stderr. It fails the file through its exit
 * code rather than by throwing from `close()`: a throw would skip the rest of
 * the caller's cleanup (an upstream server left open keeps the file running).
 *
 * With `TESSERA_STATUS_LOG` set (scripts/run-tests.js sets it), each server
 * also appends what it answered and what its document lists to that file, one
 * JSON line per server; after the whole suite the runner checks the other way
 * round (scripts/reached-statuses.js): every documented status was answered
 * by some test.
 */
import { appendFileSync } from "node:fs";
import type { FastifyInstance } from "fastify";

/**
 * Routes that are not in the document on purpose, with why. Everything else a
 * server answers for must be an operation of its document. (Answers for no
 * route at all, the 404 of an unknown path or the 405 of a known path with
 * another method, are not operations and are not recorded.)
 */
export const HIDDEN_ROUTES: Record<string, string> = {
  "GET /openapi.json": "the document itself",
  "GET /email/verify": "the page an emailed link opens: HTML for people (docs/email.md); POST /auth/email/verify is the API",
  "POST /email/verify": "that page's form",
  "GET /password/reset": "the page an emailed link opens: HTML for people; POST /auth/password/reset is the API",
  "POST /password/reset": "that page's form",
  "GET /dev/mail": "the development mailbox, loopback only (TESSERA_MAIL_TRANSPORT=dev, docs/email.md)",
  "GET /dev/mail/:id": "one message of the development mailbox",
  "OPTIONS *": "the CORS preflight, answered for every path (docs/api.md)",
  "GET /assets/:file": "the demo page's script and styles (static files; the page itself, GET /, is documented)",
};
/** The reference page (@fastify/swagger-ui) and its files: HTML and scripts for people, every route under this prefix. */
export const HIDDEN_PREFIX = "/docs";

function hidden(method: string, route: string): boolean {
  const asGet = method === "HEAD" ? "GET" : method;
  if (asGet === "GET" && (route === HIDDEN_PREFIX || route.startsWith(`${HIDDEN_PREFIX}/`))) return true;
  return Object.hasOwn(HIDDEN_ROUTES, `${asGet} ${route}`) || Object.hasOwn(HIDDEN_ROUTES, `${method} ${route}`);
}

interface Operation { responses?: Record<string, unknown> }
type Paths = Record<string, Record<string, Operation>>;

/** `/admin/users/:id` → `/admin/users/{id}`, as @fastify/swagger writes paths. */
export function openApiPath(route: string): string {
  return route.replace(/:([A-Za-z0-9_]+)/g, "{$1}").replace(/\*$/, "{*}");
}

/** The operation an answer belongs to; HEAD is answered by the GET route. */
function operationOf(paths: Paths, method: string, route: string): Operation | undefined {
  const ops = paths[openApiPath(route)];
  if (!ops) return undefined;
  return ops[method.toLowerCase()] ?? (method === "HEAD" ? ops.get : undefined);
}

export class StatusRecorder {
  /** `METHOD route status`, e.g. `POST /admin/users 415`. */
  readonly answered = new Set<string>();

  install(app: FastifyInstance): void {
    app.addHook("onResponse", (request, reply, done) => {
      const route = request.routeOptions.url;
      // No route: the not-found handler (an unknown path, or another method). Not an operation.
      if (route !== undefined && !request.is404) this.answered.add(`${request.method} ${route} ${reply.statusCode}`);
      done();
    });
  }

  /** Answered statuses the document does not list for their operation, and answered routes it does not have. */
  undocumented(doc: { paths?: Paths }): string[] {
    const paths = doc.paths ?? {};
    const findings = new Set<string>();
    for (const entry of this.answered) {
      const [method, route, status] = entry.split(" ") as [string, string, string];
      if (hidden(method, route)) continue;
      const op = operationOf(paths, method, route);
      if (!op) findings.add(`${method} ${route} answered ${status}, and the document has no such operation`);
      // `default`: an answer passed on whole (the API's behind `/bff`), any status.
      else if (!op.responses || !(Object.hasOwn(op.responses, status) || Object.hasOwn(op.responses, "default"))) findings.add(`${method} ${openApiPath(route)} answered ${status}`);
    }
    return [...findings].sort();
  }

  /** Appends this server's answers and its document's statuses to `TESSERA_STATUS_LOG`, if set. */
  log(doc: { paths?: Paths }): void {
    const file = process.env.TESSERA_STATUS_LOG;
    if (!file) return;
    const documented: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths ?? {})) {
      for (const [method, op] of Object.entries(ops)) {
        for (const status of Object.keys(op.responses ?? {})) if (status !== "default") documented.push(`${method.toUpperCase()} ${path} ${status}`);
      }
    }
    const answered = [...this.answered].filter((entry) => !hidden(...(entry.split(" ") as [string, string]))).map((entry) => {
      const [method, route, status] = entry.split(" ") as [string, string, string];
      return `${method === "HEAD" ? "GET" : method} ${openApiPath(route)} ${status}`;
    });
    appendFileSync(file, `${JSON.stringify({ answered, documented })}\n`);
  }
}

let failing = false;

/** Prints the findings and makes the test file fail (its process exits 1 whatever its tests did). */
export function failOnUndocumented(findings: string[]): void {
  if (findings.length === 0) return;
  process.stderr.write(`\nFAIL answered statuses the OpenAPI document does not list (document them in src/server/schemas, or fix the route):\n  ${findings.join("\n  ")}\n`);
  if (failing) return;
  failing = true;
  process.on("exit", () => { process.exitCode = 1; });
}
