/**
 * `npm run bench`: every benchmark in one run on this machine, printed as
 * Markdown and saved to bench/results/latest.json. Ratios measured side by
 * side are the figures to trust; absolute numbers wander on a shared machine.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { benchServer } from "./server.js";
import { table } from "./lib.js";

const only = process.argv[2];
const results: Record<string, unknown> = {
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
  date: new Date().toISOString(),
};

if (!only || only === "server") {
  console.log("## Server (issue #2)\n");
  const server = await benchServer();
  console.log(table(server.rows));
  console.log(`\nevent-loop delay during sign-in load: p50 ${server.eventLoop.p50.toFixed(1)} ms, p99 ${server.eventLoop.p99.toFixed(1)} ms, max ${server.eventLoop.max.toFixed(1)} ms`);
  console.log("ratios:", server.ratios, "\n");
  results.server = server;
}

mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
writeFileSync(new URL("./results/latest.json", import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
