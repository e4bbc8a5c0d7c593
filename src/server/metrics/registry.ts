/**
 * The Prometheus metrics (docs/metrics.md lists every one). Counters follow
 * the core's events, so the routes hold no metric code; gauges read their
 * value when scraped. Each server gets its own registry rather than
 * prom-client's global one, so several servers in one process (tests) never
 * share or clash over a metric.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";
import { RequestDurations } from "./request-durations.js";
import type { Tessera } from "../../core/api.js";

/** The active-sessions count is a table scan on a large store: reuse it for this long (ms). */
const ACTIVE_SESSIONS_TTL = 15_000;

export interface Metrics {
  registry: Registry;
  /** Records one answered request; `route` is the route pattern (never the raw URL). */
  observeRequest(method: string, route: string, status: number, seconds: number): void;
}

export function createMetrics(tessera: Tessera): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const signIns = new Counter({ name: "tessera_sign_ins_total", help: "Password sign-ins (token and cookie), by outcome.", labelNames: ["outcome"], registers });
  const refreshes = new Counter({ name: "tessera_refreshes_total", help: "Refresh-token grants, by outcome.", labelNames: ["outcome"], registers });
  const reuse = new Counter({ name: "tessera_refresh_reuse_total", help: "Refresh tokens presented again after rotation, by cause.", labelNames: ["cause"], registers });
  const ended = new Counter({ name: "tessera_sessions_ended_total", help: "Sessions ended, by reason.", labelNames: ["reason"], registers });
  const registrations = new Counter({ name: "tessera_registrations_total", help: "Accounts created.", registers });
  tessera.events.on("sign-in", (e) => signIns.inc({ outcome: e.outcome }));
  const secondSteps = new Counter({ name: "tessera_second_factor_total", help: "Second steps and passwordless passkey sign-ins, by method and outcome (docs/mfa.md).", labelNames: ["method", "outcome"], registers });
  tessera.events.on("second-factor", (e) => secondSteps.inc({ method: e.passwordless ? "passkey_passwordless" : e.method, outcome: e.outcome }));
  tessera.events.on("refresh", (e) => refreshes.inc({ outcome: e.outcome }));
  tessera.events.on("refresh-reuse", (e) => reuse.inc({ cause: e.cause }));
  tessera.events.on("sessions-ended", (e) => ended.inc({ reason: e.reason }, e.sessionIds.length));
  tessera.events.on("user-registered", () => registrations.inc());
  // Email (docs/email.md): delivery attempts by outcome and kind, and the outbox by status.
  const deliveries = new Counter({ name: "tessera_email_deliveries_total", help: "Outbox delivery attempts, by outcome (sent, retry, failed) and message kind.", labelNames: ["outcome", "kind"], registers });
  tessera.events.on("mail-delivery", (e) => deliveries.inc({ outcome: e.outcome, kind: e.kind }));
  for (const outcome of ["sent", "retry", "failed"]) deliveries.inc({ outcome, kind: "verify" }, 0);
  new Gauge({
    name: "tessera_email_outbox_messages", help: "Outbox messages by status (pending, sent, failed).", labelNames: ["status"], registers,
    async collect() {
      const counts = await tessera.operations.countOutbox().catch(() => undefined);
      for (const status of ["pending", "sent", "failed"]) this.set({ status }, counts ? counts[status] ?? 0 : Number.NaN);
    },
  });
  // Labels known in advance start at 0, so rate() and alerts work before the first event.
  for (const outcome of ["success", "invalid_credentials", "unknown_user", "disabled"]) signIns.inc({ outcome }, 0);
  for (const outcome of ["rotated", "grace", "reuse", "invalid", "expired", "revoked"]) refreshes.inc({ outcome }, 0);
  for (const cause of ["benign_race", "suspected_theft"]) reuse.inc({ cause }, 0);

  const requests = new RequestDurations([0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registry);


  const { hashing: hasher } = tessera.operations;
  new Gauge({ name: "tessera_password_hash_queue_depth", help: "Password hashes waiting for a hashing slot.", registers, collect() { this.set(hasher.queueDepth); } });
  new Gauge({ name: "tessera_password_hash_running", help: "Password hashes running now.", registers, collect() { this.set(hasher.running); } });
  new Gauge({ name: "tessera_feed_polls_held", help: "Revocation-feed long polls this instance holds now.", registers, collect() { this.set(tessera.feed.held); } });

  let cached: { at: number; value: number } | undefined;
  new Gauge({
    name: "tessera_active_sessions",
    help: "Sessions not ended and not past their idle or absolute end (recounted at most every 15 s).",
    registers,
    async collect() {
      if (!cached || Date.now() - cached.at >= ACTIVE_SESSIONS_TTL) {
        try {
          cached = { at: Date.now(), value: await tessera.operations.countLiveSessions() };
        } catch {
          // The store is down: the scrape still answers (readiness reports the store).
          cached = { at: Date.now(), value: Number.NaN };
        }
      }
      this.set(cached.value);
    },
  });

  const { redisLink, cluster } = tessera.operations;
  if (redisLink) {
    new Gauge({ name: "tessera_redis_up", help: "1 when this instance's Redis link is up, else 0.", registers, collect() { this.set(redisLink.state === "up" ? 1 : 0); } });
  }
  if (cluster) {
    const traffic = new Counter({ name: "tessera_cluster_messages_total", help: "Notices between instances over Redis, by direction (sent, received, unsent) and type.", labelNames: ["direction", "type"], registers });
    cluster.on("traffic", (direction, type) => traffic.inc({ direction, type }));
  }

  return {
    registry,
    observeRequest(method, route, status, seconds) {
      requests.observe(method, route, status, seconds);
    },
  };
}
