/** Operator commands: the audit log, key revocation, forced password resets. */
import { arg, CLI, findUser, limitOption, withCore, type Command } from "./commands.js";

const AUDIT_OPTIONS = {
  type: { type: "string", doc: "Only these event types (comma-separated): sign_in, refresh, logout, admin_action, …" },
  user: { type: "string", doc: "Only events of this user (id or username)." },
  from: { type: "string", doc: "From this time (ISO 8601 or epoch ms), inclusive." },
  to: { type: "string", doc: "Up to this time, exclusive." },
  limit: { type: "string", doc: "At most this many (default 50, at most 500)." },
  cursor: { type: "string", doc: "Continue after the page that printed this cursor." },
  json: { type: "boolean", doc: "One JSON object per line." },
} as const;

const str = (v: unknown) => (typeof v === "string" ? v : undefined);

export const adminCommands: Record<string, Command> = {
  audit: {
    summary: "Query the audit log (newest first), with filters.",
    options: AUDIT_OPTIONS,
    async run(ctx) {
      const limit = limitOption(ctx, 50, 500);
      const page = await withCore(ctx.config, (t) => t.admin.resources.audit(
        { type: str(ctx.values.type), user: str(ctx.values.user), from: str(ctx.values.from), to: str(ctx.values.to), limit, cursor: str(ctx.values.cursor) },
        async (who) => (await t.users.find(who))?.id ?? who,
      ));
      for (const e of page.events) {
        if (ctx.values.json) ctx.io.out(JSON.stringify(e));
        else ctx.io.out(`${e.at}  ${e.type}  ${e.outcome}  user=${e.user_id ?? "-"}  session=${e.session_id ?? "-"}  ip=${e.ip ?? "-"}${e.actor ? `  actor=${e.actor}` : ""}${e.detail ? `  ${JSON.stringify(e.detail)}` : ""}`);
      }
      if (page.events.length === 0 && !ctx.values.json) ctx.io.out("no events");
      // On stderr with --json, so that stdout stays one JSON object per line (jq).
      if (page.next_cursor) (ctx.values.json ? ctx.io.err : ctx.io.out)(`more: --cursor ${page.next_cursor}`);
      return 0;
    },
  },
  "keys revoke": {
    summary: "Revoke a compromised signing key at once: every token it signed is refused (running servers reload keys within a minute).",
    args: "<kid>",
    async run(ctx) {
      const kid = arg(ctx, 0, "kid");
      await withCore(ctx.config, (t) => t.keys.revoke(kid, CLI.id));
      ctx.io.out(`key ${kid} revoked; its tokens are refused`);
      return 0;
    },
  },
  "users factors": {
    summary: "List a user's second factors (authenticator apps, passkeys) and how many recovery codes are left.",
    args: "<user>",
    async run(ctx) {
      const who = arg(ctx, 0, "user");
      const listed = await withCore(ctx.config, async (t) => t.admin.factors.list((await findUser(t, who)).id));
      for (const f of listed.factors) ctx.io.out(`${f.id}  ${f.type}  ${f.name}  created ${f.created_at}  last used ${f.last_used_at ?? "never"}`);
      ctx.io.out(`${listed.factors.length} factor(s), ${listed.recovery_codes_left} recovery code(s) left`);
      return 0;
    },
  },
  "users reset-factors": {
    summary: "Remove every second factor and recovery code of a user (a lost device) and end every session of theirs.",
    args: "<user>",
    async run(ctx) {
      const who = arg(ctx, 0, "user");
      const { user, done } = await withCore(ctx.config, async (t) => {
        const found = await findUser(t, who);
        return { user: found, done: await t.admin.factors.reset(found.id, CLI) };
      });
      ctx.io.out(`${user.username}: ${done.factors} factor(s) removed, ${done.endedSessions} session(s) ended`);
      return 0;
    },
  },
  "users reset-password": {
    summary: "Force a password reset: the password stops working, every session ends, and a one-time reset token is printed once.",
    args: "<user>",
    async run(ctx) {
      const who = arg(ctx, 0, "user");
      const { user, issued } = await withCore(ctx.config, async (t) => {
        const found = await findUser(t, who);
        return { user: found, issued: await t.admin.users.forcePasswordReset(found.id, CLI) };
      });
      ctx.io.out(`${user.username}: password reset forced, ${issued.endedSessions} session(s) ended`);
      ctx.io.out(`reset token (shown once, valid until ${new Date(issued.expiresAt).toISOString()}): ${issued.token}`);
      ctx.io.out("the user sets a new password with POST /auth/password/reset {\"reset_token\", \"new_password\"}");
      return 0;
    },
  },
};
