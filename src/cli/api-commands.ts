/** `tessera apis …`: the APIs registered as resources (docs/admin.md "APIs"). */
import type { ApiResource } from "../core/api.js";
import { arg, CLI, withCore, type Command } from "./commands.js";
import { UsageError } from "./usage-error.js";

const OPTIONS = {
  name: { type: "string", doc: "A name to show (default: the identifier)." },
  scope: { type: "string", multiple: true, doc: "A scope the API defines, e.g. orders:read." },
  grant: { type: "string", multiple: true, doc: "<scope>=<role>[,<role>…]: holders of the role are granted the scope, e.g. orders:read=user." },
} as const;

/** `--grant orders:read=user,admin` (repeatable; the same scope twice adds roles). */
function parseGrants(raw: string[] | undefined): Record<string, string[]> | undefined {
  if (raw === undefined) return undefined;
  const grants: Record<string, string[]> = {};
  for (const g of raw) {
    const match = /^([^=\s]+)=(.+)$/.exec(g);
    if (!match) throw new UsageError(`--grant ${g}: expected <scope>=<role>[,<role>…], e.g. orders:read=user`);
    const [, scope, roles] = match as unknown as [string, string, string];
    grants[scope] = [...(grants[scope] ?? []), ...roles.split(",").map((r) => r.trim()).filter(Boolean)];
  }
  return grants;
}

function describe(api: ApiResource): string {
  const grants = api.scopes.map((s) => `${s}=${(api.grants[s] ?? []).join(",") || "(no role)"}`).join("  ");
  return `${api.identifier}  ${api.name === api.identifier ? "" : `"${api.name}"  `}${grants}`;
}

const strings = (v: unknown) => v as string[] | undefined;

export const apiCommands: Record<string, Command> = {
  "apis add": {
    summary: "Register an API: its identifier is the audience of its tokens (request them with resource=<identifier>).",
    args: "<identifier>",
    options: OPTIONS,
    async run(ctx) {
      const identifier = arg(ctx, 0, "identifier");
      const scopes = strings(ctx.values.scope);
      if (!scopes) throw new UsageError("name the API's scopes with --scope (repeatable)");
      const api = await withCore(ctx.config, (t) => t.admin.apis.create({
        identifier, scopes, name: ctx.values.name as string | undefined, grants: parseGrants(strings(ctx.values.grant)),
      }, CLI));
      ctx.io.out(`registered ${describe(api)}`);
      const ungranted = api.scopes.filter((s) => !api.grants[s]);
      if (ungranted.length > 0) ctx.io.out(`no role grants ${ungranted.join(", ")} yet: users get it only once a --grant names it (clients by their registration)`);
      return 0;
    },
  },
  "apis list": {
    summary: "List the registered APIs with their scopes and the roles that grant them.",
    async run(ctx) {
      const apis = await withCore(ctx.config, (t) => t.admin.apis.list());
      for (const api of apis) ctx.io.out(describe(api));
      if (apis.length === 0) ctx.io.out("no APIs registered (tessera apis add <identifier> --scope …)");
      return 0;
    },
  },
  "apis update": {
    summary: "Change an API: --scope replaces its scopes, --grant replaces its grants, --name its name.",
    args: "<identifier>",
    options: OPTIONS,
    async run(ctx) {
      const identifier = arg(ctx, 0, "identifier");
      const scopes = strings(ctx.values.scope);
      const grants = parseGrants(strings(ctx.values.grant));
      if (!scopes && !grants && ctx.values.name === undefined) throw new UsageError("nothing to change: give --scope, --grant or --name");
      const api = await withCore(ctx.config, (t) => t.admin.apis.update(identifier, { scopes, grants, name: ctx.values.name as string | undefined }, CLI));
      ctx.io.out(`updated ${describe(api)} (sessions lose a scope no longer granted at their next refresh)`);
      return 0;
    },
  },
  "apis remove": {
    summary: "Remove an API: new tokens and refreshes for it are refused; issued tokens live until they expire.",
    args: "<identifier>",
    async run(ctx) {
      const identifier = arg(ctx, 0, "identifier");
      await withCore(ctx.config, (t) => t.admin.apis.remove(identifier, CLI));
      ctx.io.out(`removed ${identifier}`);
      return 0;
    },
  },
};
