#!/usr/bin/env node
// Builds the demo page into web/dist: index.html at the root, and the bundled
// script, stylesheet and icon under assets/ (the server serves `/` and
// `/assets/<file>` from there). No inline script or style anywhere: the page
// runs under `script-src 'self'; style-src 'self'`.
//
// Usage: node scripts/build-web.js [--dev]   (--dev: no minification)
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const web = `${root}web/`;
const out = `${web}dist/`;

/** Builds web/dist from scratch; resolves with the paths written. */
export async function buildWeb({ minify = true } = {}) {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(`${out}assets`, { recursive: true });
  const common = { bundle: true, minify, sourcemap: "linked", logLevel: "warning", legalComments: "none" };
  await build({
    ...common,
    entryPoints: [`${web}src/main.ts`],
    outfile: `${out}assets/app.js`,
    format: "esm",
    platform: "browser",
    target: ["chrome111", "firefox111", "safari16.4"],
  });
  await build({ ...common, entryPoints: [`${web}app.css`], outfile: `${out}assets/app.css` });
  copyFileSync(`${web}index.html`, `${out}index.html`);
  copyFileSync(`${web}favicon.svg`, `${out}assets/favicon.svg`);
  return [`${out}index.html`, `${out}assets/app.js`, `${out}assets/app.css`, `${out}assets/favicon.svg`];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const files = await buildWeb({ minify: !process.argv.includes("--dev") });
  console.log(`demo page built: ${files.map((f) => f.slice(root.length)).join(", ")}`);
}
