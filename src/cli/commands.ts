/** The CLI's commands. Each opens the core from the environment's configuration, acts, and closes it. */
import { randomBytes } from "node:crypto";
import { createInterface } from "node:readline";
import { loadConfig, type Config } from "../core/config.js";
import { GRANT_TYPES, type GrantType } from "../core/api.js";
import { createTessera, type Tessera } from "../core/tessera.js";
import { startServer } from "../server/start.js";
import { adminCommands } from "./admin-commands.js";
import { apiCommands } from "./api-commands.js";
import { requireExistingData } from "./existing-data.js";
import { emailCommands } from "./email-commands.js";
import { UsageError } from "./usage-error.js";

export interface CommandContext {
  config: Config;
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  io: { out: (s: string) => void; err: (s: string) => void };
}

export interface Command {
  summary: string;
  args?: string;
  options?: Record<string, { type: "string" | "boolean"; multiple?: boolean; doc: string }>;
  run(ctx: CommandContext): Promise<number>;
}


export function arg(ctx: CommandContext, index: number, name: string): string {
  const value = ctx.positionals[index];
  if (value === undefined) throw new UsageError(`missing <${name}>`);
  return value;
}

/** `--limit`: a whole number from 1 to `max`, `fallback` when absent. */
export function limitOption(ctx: CommandContext, fallback: number, max: number): number {
  const limit = Number(ctx.values.limit ?? fallback);
  if (!Number.isInteger(limit) || limit < 1 || limit > max) throw new UsageError(`--limit must be 1 to ${max}`);
  return limit;
}

/**
 * Opens the core on the configured data and acts. Only `migrate` (and `serve`,
 * which starts its own) may create what is missing (existing-data.ts).
 */
export async function withCore<T>(config: Config, act: (t: Tessera) => Promise<T>, options: { mayCreate?: boolean } = {}): Promise<T> {
  if (!options.mayCreate) requireExistingData(config);
  // An operator's shell need not hold the servers' TESSERA_ACCESS_TOKEN_TTL: it must not raise their mark.
  const tessera = await createTessera(config, { recordTokenLifetime: false });
  try {
    return await act(tessera);
  } finally {
    await tessera.close();
  }
}

export async function findUser(t: Tessera, who: string) {
  const user = await t.users.find(who);
  if (!user) throw new Error(`no user "${who}"`);
  return user;
}

async function readStdinLine(): Promise<string> {
  const rl = createInterface({ input: process.stdin });
  for await (const line of rl) {
    rl.close();
    return line;
  }
  throw new Error("no password on stdin");
}

/** The actor the audit log records for what the CLI does. */
export const CLI = { id: "cli" };

export const commands: Record<string, Command> = {
  serve: {
    summary: "Run the server (SQLite in TESSERA_DATA_DIR, or DATABASE_URL).",
    options: { port: { type: "string", doc: "Port (overrides PORT)." }, host: { type: "string", doc: "Interface (overrides HOST)." } },
    async run(ctx) {
      const overrides: Partial<Config> = {};
      if (typeof ctx.values.port === "string") {
        const port = /^\d{1,5}$/.test(ctx.values.port) ? Number(ctx.values.port) : NaN;
        if (!(port >= 0 && port <= 65535)) throw new UsageError(`--port ${ctx.values.port.slice(0, 20)}: must be a whole number from 0 to 65535`);
        overrides.port = port;
      }
      if (typeof ctx.values.host === "string") overrides.host = ctx.values.host;
      // Read again with the flags, so that a default issuer follows --port as it follows PORT.
      const config = Object.keys(overrides).length > 0 ? loadConfig(process.env, overrides) : { ...ctx.config };
      const server = await startServer(config);
      ctx.io.out(`Tessera listening on ${server.url} (issuer ${config.issuer}, data ${config.databaseUrl ? "PostgreSQL" : config.dataDir})`);
      const mail = server.tessera.mail;
      ctx.io.out(mail.mailDir
        ? `Email: no TESSERA_SMTP_URL; messages are written to ${mail.mailDir}${mail.devPage ? ` and listed at ${server.url}/dev/mail (loopback only)` : ""}`
        : `Email: ${mail.description}`);
      return new Promise<number>((resolve) => {
        const stop = (signal: string) => {
          server.app.log.info({ signal }, "shutting down: finishing in-flight requests");
          // Last resort if closing the pools hangs; in-flight requests are cut earlier, at TESSERA_SHUTDOWN_TIMEOUT.
          setTimeout(() => process.exit(1), config.shutdownTimeoutMs + 5000).unref();
          server.close().then(() => {
            server.app.log.info("shutdown complete");
            resolve(0);
          }, (error: unknown) => {
            server.app.log.error({ err: error }, "shutdown failed");
            resolve(1);
          });
        };
        process.once("SIGTERM", stop);
        process.once("SIGINT", stop);
      });
    },
  },
  migrate: {
    summary: "Apply database migrations and create the first signing key, then exit.",
    async run(ctx) {
      await withCore(ctx.config, async () => undefined, { mayCreate: true });
      ctx.io.out("database is up to date");
      return 0;
    },
  },
  "users add": {
    summary: "Create a user. The password comes from stdin with --password-stdin, or is generated and shown once.",
    args: "<username>",
    options: {
      "password-stdin": { type: "boolean", doc: "Read the password from the first line of stdin." },
      email: { type: "string", doc: "Email address." },
      admin: { type: "boolean", doc: "Give the user the admin role too." },
      role: { type: "string", multiple: true, doc: "Roles (default: user)." },
    },
    async run(ctx) {
      const username = arg(ctx, 0, "username");
      const generated = ctx.values["password-stdin"] ? undefined : randomBytes(18).toString("base64url");
      const password = generated ?? (await readStdinLine());
      const roles = [...((ctx.values.role as string[] | undefined) ?? ["user"]), ...(ctx.values.admin ? ["admin"] : [])];
      const user = await withCore(ctx.config, async (t) => t.admin.views.user((await t.admin.users.create({ username, password, email: (ctx.values.email as string | undefined) ?? null, roles }, CLI)).user));
      ctx.io.out(`created user ${user.username} (${user.id}) with roles ${user.roles.join(",")}`);
      if (generated) ctx.io.out(`password (shown once): ${generated}`);
      return 0;
    },
  },
  "users list": {
    summary: "List users.",
    options: { search: { type: "string", doc: "Only usernames or emails containing this." }, limit: { type: "string", doc: "At most this many (default 100)." } },
    async run(ctx) {
      const limit = limitOption(ctx, 100, 10_000);
      const users = await withCore(ctx.config, async (t) => (await t.users.list({ limit, ...(typeof ctx.values.search === "string" ? { search: ctx.values.search } : {}) })).map(t.admin.views.user));
      for (const u of users) ctx.io.out(`${u.id}  ${u.username}  roles=${u.roles.join(",")}${u.disabled ? "  DISABLED" : ""}`);
      if (users.length === 0) ctx.io.out("no users");
      return 0;
    },
  },
  "users look-alikes": {
    summary: "List accounts whose username looks like an older account's (found when look-alike names became one key).",
    async run(ctx) {
      const rows = await withCore(ctx.config, (t) => t.users.lookAlikes());
      for (const { user, looksLike } of rows) {
        ctx.io.out(`${user.id}  ${user.username}  looks like ${looksLike ? `${looksLike.id}  ${looksLike.username}` : "(an account since removed)"}`);
      }
      if (rows.length === 0) ctx.io.out("no look-alike usernames");
      return 0;
    },
  },
  "users roles": {
    summary: "Set a user's roles (replaces them).",
    args: "<user> <role>...",
    async run(ctx) {
      const who = arg(ctx, 0, "user");
      const roles = ctx.positionals.slice(1);
      if (roles.length === 0) throw new UsageError("name at least one role");
      const user = await withCore(ctx.config, async (t) => t.admin.views.user(await t.admin.users.setRoles((await findUser(t, who)).id, roles, CLI)));
      ctx.io.out(`${user.username}: roles ${user.roles.join(",")} (takes effect in new access tokens)`);
      return 0;
    },
  },
  "users disable": {
    summary: "Disable a user: sign-in and refresh refused, every session ended.",
    args: "<user>",
    async run(ctx) {
      const who = arg(ctx, 0, "user");
      const user = await withCore(ctx.config, async (t) => t.admin.users.setDisabled((await findUser(t, who)).id, true, CLI));
      ctx.io.out(`${user.username} disabled`);
      return 0;
    },
  },
  "users enable": {
    summary: "Enable a disabled user.",
    args: "<user>",
    async run(ctx) {
      const who = arg(ctx, 0, "user");
      const user = await withCore(ctx.config, async (t) => t.admin.users.setDisabled((await findUser(t, who)).id, false, CLI));
      ctx.io.out(`${user.username} enabled`);
      return 0;
    },
  },
  "clients add": {
    summary: "Register a client. A confidential client's secret is shown once.",
    args: "<name>",
    options: {
      id: { type: "string", doc: "client_id (default: generated)." },
      grant: { type: "string", multiple: true, doc: `Grant types (${GRANT_TYPES.join(", ")}; default client_credentials).` },
      scope: { type: "string", multiple: true, doc: "Allowed scopes (default: all)." },
      "first-party": { type: "boolean", doc: "A first-party app: may use the password grant." },
      public: { type: "boolean", doc: "A public client (no secret)." },
    },
    async run(ctx) {
      const name = arg(ctx, 0, "name");
      const { client, secret } = await withCore(ctx.config, (t) => t.admin.resources.createClient({
        name,
        ...(typeof ctx.values.id === "string" ? { id: ctx.values.id } : {}),
        ...(ctx.values.grant ? { grantTypes: ctx.values.grant as GrantType[] } : {}),
        ...(ctx.values.scope ? { scopes: ctx.values.scope as string[] } : {}),
        firstParty: ctx.values["first-party"] === true,
        public: ctx.values.public === true,
      }, CLI));
      ctx.io.out(`client_id: ${client.id}`);
      if (secret) ctx.io.out(`client_secret (shown once, stored hashed): ${secret}`);
      return 0;
    },
  },
  "clients list": {
    summary: "List clients.",
    async run(ctx) {
      const clients = await withCore(ctx.config, (t) => t.clients.list());
      for (const c of clients) ctx.io.out(`${c.id}  ${c.type}${c.first_party ? " first-party" : ""}  grants=${(JSON.parse(c.grant_types) as string[]).join(",")}  ${c.name}`);
      return 0;
    },
  },
  "clients disable": {
    summary: "Disable a client: it cannot authenticate, its tokens are refused by Tessera (running servers within a minute).",
    args: "<client_id>",
    async run(ctx) {
      const id = arg(ctx, 0, "client_id");
      await withCore(ctx.config, (t) => t.admin.resources.setClientDisabled(id, true, CLI));
      ctx.io.out(`client ${id} disabled`);
      return 0;
    },
  },
  "clients enable": {
    summary: "Enable a disabled client.",
    args: "<client_id>",
    async run(ctx) {
      const id = arg(ctx, 0, "client_id");
      await withCore(ctx.config, (t) => t.admin.resources.setClientDisabled(id, false, CLI));
      ctx.io.out(`client ${id} enabled`);
      return 0;
    },
  },
  "clients remove": {
    summary: "Remove a client: its refresh tokens stop working, its access tokens are refused by Tessera.",
    args: "<client_id>",
    async run(ctx) {
      const id = arg(ctx, 0, "client_id");
      await withCore(ctx.config, (t) => t.admin.resources.removeClient(id, CLI));
      ctx.io.out(`client ${id} removed`);
      return 0;
    },
  },
  "clients rotate-secret": {
    summary: "Give a confidential client a new secret, shown once; the old one stops working.",
    args: "<client_id>",
    async run(ctx) {
      const id = arg(ctx, 0, "client_id");
      const secret = await withCore(ctx.config, (t) => t.admin.resources.rotateClientSecret(id, CLI));
      ctx.io.out(`client_secret (shown once, stored hashed): ${secret}`);
      return 0;
    },
  },
  "keys list": {
    summary: "List signing keys and their state.",
    async run(ctx) {
      const rows = await withCore(ctx.config, async (t) => t.keys.rows());
      const iso = (ms: number | null) => (ms === null ? "-" : new Date(ms).toISOString());
      for (const k of rows) ctx.io.out(`${k.kid}  ${k.alg}  signs-from=${iso(k.activates_at)}  retires=${iso(k.retires_at)}  unpublished-after=${iso(k.expires_at)}${k.revoked_at ? "  REVOKED" : ""}`);
      return 0;
    },
  },
  "keys rotate": {
    summary: "Create the next signing key: servers publish it within a minute, it signs after the JWKS cache lifetime, the old one retires then.",
    async run(ctx) {
      const row = await withCore(ctx.config, (t) => t.keys.rotate(CLI.id));
      // A running server shows the key in its JWKS once it reloads keys (within a minute), not at once.
      ctx.io.out(`new key ${row.kid} created: running servers publish it in their JWKS within a minute; it signs from ${new Date(row.activates_at).toISOString()}`);
      return 0;
    },
  },
  "sessions list": {
    summary: "List a user's live sessions.",
    args: "<user>",
    async run(ctx) {
      const who = arg(ctx, 0, "user");
      const rows = await withCore(ctx.config, async (t) => t.sessions.list((await findUser(t, who)).id));
      for (const s of rows) ctx.io.out(`${s.id}  ${s.kind}  created=${new Date(s.created_at).toISOString()}  last-used=${new Date(s.last_used_at).toISOString()}  ip=${s.ip ?? "-"}`);
      if (rows.length === 0) ctx.io.out("no live sessions");
      return 0;
    },
  },
  "sessions revoke": {
    summary: "End a session (its refresh token stops working; its access tokens are refused by Tessera and by verifiers following the feed).",
    args: "<session-id>",
    async run(ctx) {
      const id = arg(ctx, 0, "session-id");
      const ended = await withCore(ctx.config, (t) => t.sessions.end(id, "admin", { actor: CLI.id }));
      if (!ended) throw new Error(`no live session "${id}"`);
      ctx.io.out(`session ${id} ended`);
      return 0;
    },
  },
  ...adminCommands,
  ...apiCommands,
  ...emailCommands,
};
