/**
 * The access log: one JSON line per answered request, with the method, the
 * route pattern (never the raw URL, so no query string reaches it), the
 * status, the time taken and the request id, and nothing else: no header, no
 * body, no address. It replaces Fastify's two lines per request ("incoming
 * request", "request completed"), which cost the cheapest routes half their
 * throughput when written synchronously.
 *
 * Every field is either a number or a string whose characters are known to
 * need no JSON escaping (the request id matches REQUEST_ID or is a UUID, the
 * method passed Node's HTTP parser, route patterns are escaped once and kept),
 * so the line is assembled as a string rather than through the logger's
 * serializer and redaction, which would find nothing to redact.
 *
 * Successful answers (status below 400) may be sampled; 4xx and 5xx answers
 * are always written. The lines go to the same destination as the other logs,
 * which writes asynchronously (docs/performance.md, "Logging").
 */
import { hostname } from "node:os";
import type { FastifyInstance } from "fastify";
import type { LogStream } from "./logging.js";

/** pino's numeric levels, which the other log lines carry. */
const LEVELS: Record<string, number> = { fatal: 60, error: 50, warn: 40, info: 30, debug: 20, trace: 10 };

/** Requests that match no route share one label (as in the metrics), so the line never carries a raw URL. */
const UNMATCHED = '"(unmatched)"';

export interface AccessLogOptions {
  /** Level of the lines (fatal … trace), or "off". */
  level: string;
  /** Fraction of successful requests logged, 0 to 1. */
  sampleRate: number;
  /** Source of randomness for sampling (tests may pass their own). */
  random?: () => number;
}

/** Adds the access-log hook; nothing when the level is off or below what the logger lets through. */
export function installAccessLog(app: FastifyInstance, stream: LogStream, options: AccessLogOptions): void {
  const level = LEVELS[options.level];
  // "silent" (or anything unknown) lets nothing through.
  if (level === undefined || level < (LEVELS[app.log.level] ?? Infinity)) return;
  const { sampleRate } = options;
  const random = options.random ?? Math.random;
  const head = `{"level":${level},"time":`;
  const bindings = `,"pid":${process.pid},"hostname":${JSON.stringify(hostname())},"reqId":"`;
  const routes = new Map<string, string>();
  const routeField = (pattern: string | undefined): string => {
    if (pattern === undefined) return UNMATCHED;
    let field = routes.get(pattern);
    if (field === undefined) routes.set(pattern, field = JSON.stringify(pattern));
    return field;
  };
  app.addHook("onResponse", (request, reply, done) => {
    const status = reply.statusCode;
    if (status < 400 && sampleRate < 1 && !(random() < sampleRate)) return done();
    const ms = Math.round(reply.elapsedTime * 100) / 100;
    stream.write(`${head}${Date.now()}${bindings}${request.id}","msg":"request","method":"${request.method}","route":${routeField(request.routeOptions.url)},"status":${status},"ms":${ms}}\n`);
    done();
  });
}
