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
 * which writes asynchronously. They are gathered here and handed over
 * together: once 16 KiB are waiting, or `flushMs` after the first of them
 * (100 ms by default), since every hand-over starts a write on libuv's thread
 * pool, and a hand-over per event-loop turn cost the cheapest routes about a
 * tenth of their CPU (docs/performance.md, "Logging"). With `flushMs` 0 the
 * lines of one turn go out at its end (`setImmediate`). A graceful stop
 * writes what is waiting (`close`), and so does an exit the process makes
 * itself (an uncaught exception included); a kill -9 or an out-of-memory
 * abort loses at most `flushMs` of lines.
 */
import { hostname } from "node:os";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { flushLogs, type LogStream } from "./logging.js";

/** pino's numeric levels, which the other log lines carry. */
const LEVELS: Record<string, number> = { fatal: 60, error: 50, warn: 40, info: 30, debug: 20, trace: 10 };

/** Lines waiting past this many characters (all ASCII: bytes) go out at once. */
export const ACCESS_LOG_BATCH = 16 * 1024;

/** Requests that match no route share one label (as in the metrics), so the line never carries a raw URL. */
const UNMATCHED = '"(unmatched)"';

export interface AccessLogOptions {
  /** Level of the lines (fatal … trace), or "off". */
  level: string;
  /** Fraction of successful requests logged, 0 to 1. */
  sampleRate: number;
  /** How long a line may wait to go out with the next ones (ms); 0: at the end of its turn. */
  flushMs: number;
  /** Source of randomness for sampling (tests may pass their own). */
  random?: () => number;
}

export interface AccessLog {
  /** Queues the line of an answered request (run it from the onResponse hook); `route` is its route pattern (undefined when none matched). */
  record(request: FastifyRequest, reply: FastifyReply, route: string | undefined): void;
  /** Hands the queued lines to the destination now, and stops watching for the process's exit. */
  close(): void;
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
  const { flushMs } = options;
  let pending = "";
  let closed = false;
  let timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  const flush = () => {
    if (timer !== undefined) {
      if (flushMs === 0) clearImmediate(timer as NodeJS.Immediate);
      else clearTimeout(timer as NodeJS.Timeout);
      timer = undefined;
    }
    if (pending === "") return;
    const lines = pending;
    pending = "";
    stream.write(lines);
  };
  // An exit the process makes itself (an uncaught exception, process.exit) still writes
  // what waits: the destination's own exit hook has run by then, so flush it again.
  const atExit = () => {
    flush();
    flushLogs(stream);
  };
  process.on("exit", atExit);
  return {
    close() {
      process.removeListener("exit", atExit);
      closed = true;
      flush();
    },
    record(request, reply, route) {
      const status = reply.statusCode;
      if (status < 400 && sampleRate < 1 && !(random() < sampleRate)) return;
      const ms = Math.round(reply.elapsedTime * 100) / 100;
      pending += `${head}${Date.now()}${bindings}${request.id}","msg":"request","method":"${request.method}","route":${routeField(route)},"status":${status},"ms":${ms}}\n`;
      // After the stop (an answer still finishing) nothing is left to wait for.
      if (closed || pending.length >= ACCESS_LOG_BATCH) flush();
      else if (timer === undefined) timer = flushMs === 0 ? setImmediate(flush) : setTimeout(flush, flushMs).unref();
    },
  };
}
