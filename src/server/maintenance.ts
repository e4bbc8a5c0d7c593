/**
 * What a running server does besides answering requests: the
 * first admin from the environment, the key-rotation schedule, audit-log
 * retention, and logging the audit log's write failures.
 */
import type { FastifyInstance } from "fastify";
import type { Tessera } from "../core/api.js";

/** ms between key-schedule steps: well inside the JWKS cache lifetime, so a key rotated elsewhere is published here in time. */
export const KEY_TICK_INTERVAL = 60_000;
const DAY = 86_400_000;

export async function startMaintenance(app: FastifyInstance, tessera: Tessera): Promise<() => void> {
  const { config } = tessera;
  const { audit } = tessera.operations;
  audit.onError = (error) => app.log.error({ err: error, pending: audit.pending, dropped: audit.dropped }, "audit log write failed; will retry");

  const admin = await tessera.users.ensureFirstAdmin(config.adminUsername, config.adminPassword);
  if (admin) app.log.info({ username: admin.username, id: admin.id }, "first admin created from TESSERA_ADMIN_USERNAME"); // never the password

  // Accounts that collided with an older one when look-alike names became one (migration 004).
  const lookAlikes = await tessera.users.lookAlikes();
  if (lookAlikes.length > 0) {
    app.log.warn({ users: lookAlikes.map((l) => ({ id: l.user.id, looks_like: l.looksLike?.id })) },
      `${lookAlikes.length} account(s) have a username that looks like an older account's; list them with \`tessera users look-alikes\``);
  }

  const keyTick = () => {
    tessera.operations.keyStep()
      .then((r) => {
        if (r.rotated) app.log.info({ kid: r.rotated }, "signing key rotated by schedule");
        if (r.deleted.length > 0) app.log.info({ kids: r.deleted }, "expired signing keys deleted");
      })
      .catch((error: unknown) => app.log.warn({ err: error }, "key schedule step failed"));
  };
  const lifetimeTick = () => {
    // Another instance may have started with a longer access-token lifetime: revocations follow it.
    tessera.operations.refreshTokenLifetime().catch((error: unknown) => app.log.warn({ err: error }, "token lifetime re-read failed"));
  };
  keyTick(); // a server started after a long stop rotates at once if due
  const keyTimer = setInterval(() => { keyTick(); lifetimeTick(); }, KEY_TICK_INTERVAL);
  keyTimer.unref();

  const retention = config.auditRetentionDays > 0 && config.sweepIntervalMs > 0 ? setInterval(() => {
    tessera.operations.pruneAuditEvents(tessera.now() - config.auditRetentionDays * DAY)
      .then((n) => { if (n > 0) app.log.info({ deleted: n }, "old audit events deleted"); })
      .catch((error: unknown) => app.log.warn({ err: error }, "audit retention failed"));
  }, config.sweepIntervalMs) : undefined;
  retention?.unref();

  // Email (docs/email.md): delivered and failed messages, and expired email secrets, go after TESSERA_MAIL_RETENTION_DAYS.
  const outboxSweep = config.sweepIntervalMs > 0 ? setInterval(() => {
    const now = tessera.now();
    const before = now - config.mailRetentionDays * DAY;
    tessera.operations.sweepEmail(before, before, now)
      .then((n) => { if (n.messages + n.secrets > 0) app.log.info({ swept: n }, "old outbox messages and expired email secrets deleted"); })
      .catch((error: unknown) => app.log.warn({ err: error }, "outbox sweep failed"));
  }, config.sweepIntervalMs) : undefined;
  outboxSweep?.unref();

  return () => {
    if (outboxSweep) clearInterval(outboxSweep);
    clearInterval(keyTimer);
    if (retention) clearInterval(retention);
  };
}
