/**
 * `npm run bench`: every benchmark in one run on this machine, printed as
 * Markdown and saved to bench/results/latest.json. Ratios measured side by
 * side are the figures to trust; absolute numbers wander on a shared machine.
 *
 * `npm run bench -- server|floor|mfa|sqlite|verify|compare|security|cluster` runs one section
 * (`floor` only when named: it repeats the server section's first rows, for before/after).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { benchCluster } from "./cluster.js";
import { benchCompare } from "./compare.js";
import { table } from "./lib.js";
import { benchCommonPasswords, benchEnumeration } from "./security.js";
import { benchServer, ratioLines } from "./server.js";
import { benchFloor } from "./floor.js";
import { benchSqlite } from "./sqlite.js";
import { benchVerify, benchVerifyHttp } from "./verify.js";
import { benchMfa, benchMfaHttp } from "./mfa.js";

const only = process.argv[2];
const results: Record<string, unknown> = {
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
  date: new Date().toISOString(),
};
const wanted = (section: string) => only === undefined || only === section;

if (wanted("server")) {
  console.log("## Server (as `npm start` runs it: NODE_ENV=production, default logging to a file), beside bare Fastify\n");
  const server = await benchServer();
  console.log(table(server.rows));
  console.log(`\nevent-loop delay during sign-in load: p50 ${server.eventLoop.p50.toFixed(1)} ms, p99 ${server.eventLoop.p99.toFixed(1)} ms, max ${server.eventLoop.max.toFixed(1)} ms`);
  console.log(`access lines the server logged: ${server.accessLines}`);
  console.log(`\nratios (one run):\n${ratioLines(server.ratios)}\n`);
  results.server = server;
}

if (only === "floor") {
  console.log("## The floor: `GET /healthz`, server CPU µs per request, rounds in alternation (BENCH_FLOOR_BEFORE=<built checkout> adds it)\n");
  const floor = await benchFloor();
  for (const [name, values] of Object.entries(floor.rounds)) console.log(`- ${name}: ${values.join(", ")}; median ${floor.medians[name]} µs, ${floor.rates[name]} req/s`);
  const bare = floor.medians["bare Fastify"]!;
  console.log(`\nmedian CPU ÷ bare Fastify's: ${Object.entries(floor.medians).filter(([n]) => n !== "bare Fastify").map(([n, v]) => `${n} ${(v / bare).toFixed(2)}`).join(", ")}\n`);
  results.floor = floor;
}

if (wanted("mfa")) {
  console.log("## The second step: TOTP and passkey checks beside a password hash\n");
  const mfa = await benchMfa();
  console.log("operations per second, one thread (the passkey figure includes making the assertion):", mfa, "\n");
  console.log("over HTTP, the server as users start it (BENCH_MFA_BEFORE=<built checkout> adds the password grant before second factors, alternating):");
  const http = await benchMfaHttp();
  console.log(http, "\n");
  results.mfa = { ...mfa, http };
}

if (wanted("sqlite")) {
  console.log("## SQLite: token rows against the session row, alone and grouped\n");
  const sqlite = await benchSqlite();
  console.log("microseconds per operation (each includes hash_only_us for the new hash):", sqlite, "\n");
  results.sqlite = sqlite;
}

if (wanted("verify")) {
  console.log("## tessera/verify\n");
  const verify = await benchVerify();
  const http = await benchVerifyHttp();
  console.log("verifications per second, one thread:", verify);
  console.log("HTTP, same Fastify route:", http, "\n");
  results.verify = { verify, http };
}

if (wanted("compare")) {
  console.log("## Tokens versus cookies\n");
  const rows = await benchCompare();
  console.log(table(rows), "\n");
  results.compare = rows;
}

if (wanted("cluster")) {
  console.log("## Cluster on PostgreSQL\n");
  const cluster = await benchCluster();
  console.log(table(cluster.rows));
  console.log(`\nseeded ${cluster.seeded.users.toLocaleString("en")} users and sessions in ${cluster.seeded.seconds} s; refresh p99, 1M vs almost empty: ×${cluster.refreshP99Ratio}; two instances vs one:`, cluster.scaling, "\n");
  results.cluster = cluster;
}

if (wanted("security")) {
  console.log("## Security\n");
  const list = benchCommonPasswords();
  const enumeration = await benchEnumeration();
  console.log("common-password list:", list);
  console.log("unknown user vs wrong password, medians of 200 interleaved sign-ins:", enumeration, "\n");
  results.security = { list, enumeration };
}

mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
writeFileSync(new URL("./results/latest.json", import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
