/** Email operator commands (docs/email.md): the outbox, resending a verification, marking an address verified. */
import { arg, CLI, findUser, limitOption, withCore, type Command } from "./commands.js";
import { UsageError } from "./usage-error.js";

const STATUSES = ["pending", "sent", "failed"];

export const emailCommands: Record<string, Command> = {
  "mail list": {
    summary: "List outbox messages, newest first (--status failed: the deliveries that gave up). Never their content.",
    options: {
      status: { type: "string", doc: "pending, sent or failed." },
      limit: { type: "string", doc: "At most this many (default 50, at most 500)." },
      json: { type: "boolean", doc: "One JSON object per line." },
    },
    async run(ctx) {
      const status = typeof ctx.values.status === "string" ? ctx.values.status : undefined;
      if (status !== undefined && !STATUSES.includes(status)) throw new UsageError(`--status must be ${STATUSES.join(", ")}`);
      const limit = limitOption(ctx, 50, 500);
      const rows = await withCore(ctx.config, (t) => t.admin.outbox.list({ limit, ...(status ? { status } : {}) }));
      for (const r of rows) {
        const { payload: _sealed, ...shown } = r;
        if (ctx.values.json) ctx.io.out(JSON.stringify(shown));
        else ctx.io.out(`${new Date(r.created_at).toISOString()}  ${r.status}  ${r.kind}  to=${r.recipient}  attempts=${r.attempts}  id=${r.id}${r.last_error ? `  error=${JSON.stringify(r.last_error)}` : ""}`);
      }
      if (rows.length === 0) ctx.io.out("no messages");
      return 0;
    },
  },
  "users resend-verification": {
    summary: "Send a user's verification message again (delivered by a running server).",
    args: "<user>",
    async run(ctx) {
      const who = arg(ctx, 0, "user");
      const user = await withCore(ctx.config, async (t) => {
        const found = await findUser(t, who);
        await t.mail.service.adminResend(found, CLI);
        return found;
      });
      ctx.io.out(`${user.username}: verification message queued for ${user.email}`);
      return 0;
    },
  },
  "users verify-email": {
    summary: "Mark a user's address verified, without a message.",
    args: "<user>",
    async run(ctx) {
      const who = arg(ctx, 0, "user");
      const user = await withCore(ctx.config, async (t) => {
        const found = await findUser(t, who);
        await t.mail.service.adminMarkVerified(found, CLI);
        return found;
      });
      ctx.io.out(`${user.username}: ${user.email} is verified`);
      return 0;
    },
  },
};
