// The README's curl walk-through, run top to bottom as written: every curl
// line of its block is parsed (method, headers, -d fields, -u) and sent to a
// real server on whatever port it has; `X=…   # the <field>` lines take that
// field of the answer before; `npx tessera …` runs the CLI on the server's
// data. Each request must succeed (2xx), and the answers the README shows
// after `# {"active":…}` must match.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { main } from "../../src/cli/main.js";
import { startTestServer } from "../helpers/server.js";

const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");

/** The walk-through's shell block, continuation lines joined. */
function walkThrough(): string[] {
  const section = readme.slice(readme.indexOf("## Walk-through with curl"));
  const block = /```sh\n([\s\S]*?)```/.exec(section)![1]!;
  return block.replace(/\s*\\\n\s*/g, " ").split("\n").map((l) => l.trim()).filter(Boolean);
}

/** Shell words: '…' and "…" quoting, $VAR expansion inside double quotes and bare words. */
function words(line: string, vars: Record<string, string>): string[] {
  const out: string[] = [];
  const expand = (s: string) => s.replace(/\$([A-Z_]+)/g, (_, name: string) => {
    assert.ok(name in vars, `$${name} is used before the walk-through sets it`);
    return vars[name]!;
  });
  for (const m of line.replace(/\s+#.*$/, "").matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)) out.push(m[1] ?? expand(m[2] ?? m[3]!));
  return out;
}

test("the README walk-through runs top to bottom as written, on any port", async () => {
  const server = await startTestServer();
  const vars: Record<string, string> = {};
  let last: { status: number; body: unknown; text: string } | undefined;
  let cliOut: string[] = [];
  const ran: string[] = [];
  try {
    for (const line of walkThrough()) {
      if (line.startsWith("# {") || line.startsWith("# [")) {
        // An answer the README shows: the fields it names with literal values must match.
        const shown = line.slice(2);
        for (const m of shown.matchAll(/"(active|auth|username|token_type|current)":(true|false|"[a-z]+")/g)) {
          const actual = JSON.stringify(Array.isArray(last!.body) ? (last!.body as Array<Record<string, unknown>>).map((x) => x[m[1]!]) : (last!.body as Record<string, unknown>)[m[1]!]);
          assert.ok(actual.includes(m[2]!), `${ran.at(-1)}: README shows ${m[1]}:${m[2]}, the server answered ${last!.text}`);
        }
        continue;
      }
      if (line.startsWith("#")) continue;
      const assign = /^([A-Z_]+)=… +# the (?:new )?(\w+)(?: of the session with "current":false)?/.exec(line);
      if (assign) {
        const [, name, field] = assign as unknown as [string, string, string];
        if (name === "SID") {
          vars[name] = (last!.body as Array<{ id: string; current: boolean }>).find((s) => !s.current)!.id;
        } else if (name.startsWith("CLIENT_")) {
          const printed = cliOut.find((l) => l.startsWith(`${field}`))!;
          vars[name] = printed.split(": ").at(-1)!;
        } else {
          vars[name] = (last!.body as Record<string, string>)[field]!;
        }
        assert.ok(vars[name], `${line}: nothing to take`);
        continue;
      }
      if (line.startsWith("npx tessera ")) {
        const c = server.tessera.config;
        const saved = { ...process.env };
        Object.assign(process.env, { TESSERA_DATA_DIR: c.dataDir, TESSERA_MASTER_KEY: c.masterKey, LOG_LEVEL: "silent", ...(c.databaseUrl ? { DATABASE_URL: c.databaseUrl, TESSERA_PG_SCHEMA: c.pgSchema } : {}) });
        cliOut = [];
        try {
          assert.equal(await main(words(line, vars).slice(2), { out: (s) => cliOut.push(...s.split("\n")), err: (s) => cliOut.push(s) }), 0, `${line}: ${cliOut.join("\n")}`);
        } finally {
          for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
          Object.assign(process.env, saved);
        }
        continue;
      }
      assert.ok(line.startsWith("curl "), `a line the walk-through test cannot run: ${line}`);
      const argv = words(line, vars).slice(1);
      let method: string | undefined;
      const headers: Record<string, string> = {};
      const fields: string[] = [];
      let url = "";
      for (let i = 0; i < argv.length; i++) {
        const a = argv[i]!;
        if (a === "-s") continue;
        if (a === "-X") method = argv[++i];
        else if (a === "-H") { const [k, ...v] = argv[++i]!.split(":"); headers[k!.toLowerCase()] = v.join(":").trim(); }
        else if (a === "-d") fields.push(argv[++i]!);
        else if (a === "-u") headers.authorization = `Basic ${Buffer.from(argv[++i]!).toString("base64")}`;
        else url = a;
      }
      const path = url.replace(/^(https?:\/\/)?(localhost|127\.0\.0\.1):\d+/, "");
      assert.notEqual(path, url, `${line}: not a request to the server`);
      let body: string | undefined;
      if (fields.length > 0) {
        if (headers["content-type"] === "application/json") body = fields.join("");
        else {
          headers["content-type"] ??= "application/x-www-form-urlencoded";
          body = fields.map((f) => { const [k, ...v] = f.split("="); return `${encodeURIComponent(k!)}=${encodeURIComponent(v.join("="))}`; }).join("&");
        }
      }
      last = await server.request(method ?? (body === undefined ? "GET" : "POST"), path, { headers, ...(body === undefined ? {} : { body }) });
      ran.push(line);
      assert.ok(last.status >= 200 && last.status < 300, `${line}\n→ ${last.status} ${last.text}`);
    }
    assert.ok(ran.length >= 14, `only ${ran.length} requests ran`);
  } finally {
    await server.close();
  }
});
