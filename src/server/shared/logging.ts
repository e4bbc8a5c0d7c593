/**
 * The server's pino options: JSON lines at the configured level, with every
 * place a credential could appear redacted. Fastify's request serializer logs
 * the URL, so query-string values with a credential-like name are masked too:
 * Tessera never reads a token from the query string, but a careless client
 * may still send one, and log files outlive tokens. (Also: the load balancer
 * setting, which decides the client address every log line carries.)
 */
import { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from "fastify";
import { destination } from "pino";
import type { TrustProxy } from "../../core/api.js";

/** Where log lines go (pino's DestinationStream, as far as we use it). */
export interface LogStream {
  /** One or more whole JSON lines, each ending in "\n" (the access log hands over a turn's lines at once). */
  write(lines: string): void;
  /** Writes what is buffered before returning (the default destination has it). */
  flushSync?(): void;
}

/**
 * stdout, written asynchronously: a line is queued and the event loop goes on;
 * lines queued during one write go out together in the next. pino flushes the
 * queue when the process exits (normally, on an uncaught exception, or after
 * SIGTERM's graceful stop); a kill -9 or an out-of-memory abort loses what
 * was queued, and the access lines still waiting to be handed over (at most
 * TESSERA_ACCESS_LOG_FLUSH_MS of them, docs/performance.md "Logging").
 */
export function stdoutDestination(): LogStream {
  return destination({ dest: 1, sync: false });
}

/** Writes out whatever the destination still holds (at shutdown). */
export function flushLogs(stream: LogStream | undefined): void {
  try {
    stream?.flushSync?.();
  } catch {
    // not open yet, or stdout already closed: nothing more can be written
  }
}

const SECRET_PARAM = /token|secret|password|passwd|code|assertion|jwt|key|session|csrf/i;

/** Masks the values of credential-like query parameters; keeps the names so the log still says what was sent. */
export function redactUrl(url: string): string {
  const mark = url.indexOf("?");
  if (mark < 0) return url;
  const query = url.slice(mark + 1).split("&").map((pair) => {
    const name = pair.split("=", 1)[0]!;
    let decoded = name;
    try {
      decoded = decodeURIComponent(name);
    } catch {
      // keep it encoded: the pattern still applies to its ASCII parts
    }
    return SECRET_PARAM.test(decoded) && pair.includes("=") ? `${name}=[redacted]` : pair;
  });
  return `${url.slice(0, mark)}?${query.join("&")}`;
}

const REDACT = [
  "req.headers.authorization", "req.headers.cookie", 'req.headers["x-csrf-token"]', 'res.headers["set-cookie"]',
  // Anything a handler might log by mistake: a body, a token response, a form.
  "*.password", "*.current_password", "*.new_password", "*.refresh_token", "*.access_token", "*.client_secret", "*.token",
];

export function loggerOptions(level: string, stream?: LogStream): NonNullable<FastifyServerOptions["logger"]> {
  return {
    level,
    redact: { paths: REDACT, censor: "[redacted]" },
    serializers: {
      req(request: { method: string; url: string; hostname?: string; ip?: string; socket?: { remoteAddress?: string } }) {
        return { method: request.method, url: redactUrl(request.url), host: request.hostname, remoteAddress: request.ip ?? request.socket?.remoteAddress };
      },
    },
    ...(stream === undefined ? {} : { stream }),
  };
}

/**
 * Fastify's trustProxy from TESSERA_TRUST_PROXY. A hop count becomes the
 * function Fastify itself would build (its types accept no number).
 */
export function trustProxyOption(value: TrustProxy): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof value === "number" ? (_address, hop) => hop < value : value;
}

/** The part of a pino logger a request's logger is made from. */
interface ParentLogger {
  child(bindings: Record<string, unknown>, options?: object): FastifyBaseLogger;
}

/**
 * A request's logger (`request.log`) that makes its pino child only when a line
 * is first written: most requests write none (the access line does not use it),
 * and building the child serialised and redacted its bindings on every request.
 */
export class LazyRequestLogger {
  #real: FastifyBaseLogger | undefined;
  constructor(private readonly parent: ParentLogger, private readonly bindings: Record<string, unknown>, private readonly options: object) {}
  get #log(): FastifyBaseLogger {
    return this.#real ??= this.parent.child(this.bindings, this.options);
  }
  get level(): string { return this.#log.level; }
  set level(level: string) { this.#log.level = level; }
  fatal(...args: unknown[]): void { (this.#log.fatal as (...a: unknown[]) => void)(...args); }
  error(...args: unknown[]): void { (this.#log.error as (...a: unknown[]) => void)(...args); }
  warn(...args: unknown[]): void { (this.#log.warn as (...a: unknown[]) => void)(...args); }
  info(...args: unknown[]): void { (this.#log.info as (...a: unknown[]) => void)(...args); }
  debug(...args: unknown[]): void { (this.#log.debug as (...a: unknown[]) => void)(...args); }
  trace(...args: unknown[]): void { (this.#log.trace as (...a: unknown[]) => void)(...args); }
  silent(...args: unknown[]): void { (this.#log.silent as (...a: unknown[]) => void)(...args); }
  child(bindings: Record<string, unknown>, options?: object): FastifyBaseLogger { return this.#log.child(bindings, options); }
}

/** Fastify's childLoggerFactory for the default logger. */
export function lazyChildLogger(logger: FastifyBaseLogger, bindings: Record<string, unknown>, options: object): FastifyBaseLogger {
  return new LazyRequestLogger(logger, bindings, options) as unknown as FastifyBaseLogger;
}

/**
 * Fastify's own per-request lines, less the two the access log replaces
 * ("incoming request", and "request completed" for an answer sent without
 * error). A response that failed while being sent is still logged, as are
 * Fastify's other lines (stream errors, serializer errors).
 */
export class AccessLogController extends LogController {
  override incomingRequest(): void {}
  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) super.requestCompleted(error, request, reply);
  }
}
