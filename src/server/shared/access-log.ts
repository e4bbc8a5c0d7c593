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
 * which writes asynchronously; the lines of one turn of the event loop go to it
 * as one write, at the end of that turn (`setImmediate`), since each write to
 * the destination costs about 2.5 µs whatever its length (docs/performance.md,
 * "Logging"). A graceful stop writes what is pending (`flush`).
 */
import { hostname } from "node:os";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
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

export interface AccessLog {
  /** Queues the line of an answered request (run it from the onResponse hook). */
  record(request: FastifyRequest, reply: FastifyReply): void;
  /** Hands the queued lines to the destination now. */
  flush(): void;
}

/** The access log; undefined when the level is off or below what the logger lets through. */
export function createAccessLog(app: FastifyInstance, stream: LogStream, options: AccessLogOptions): AccessLog | undefined {
  const level = LEVELS[options.level];
  // "silent" (or anything unknown) lets nothing through.
  if (level === undefined || level < (LEVELS[app.log.level] ?? Infinity)) return undefined;
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
  let pending = "";
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (pending === "") return;
    const lines = pending;
    pending = "";
    stream.write(lines);
  };
  return {
    flush,
    record(request, reply) {
      const status = reply.statusCode;
      if (status < 400 && sampleRate < 1 && !(random() < sampleRate)) return;
      const ms = Math.round(reply.elapsedTime * 100) / 100;
      pending += `${head}${Date.now()}${bindings}${request.id}","msg":"request","method":"${request.method}","route":${routeField(request.routeOptions.url)},"status":${status},"ms":${ms}}\n`;
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
  };
}
