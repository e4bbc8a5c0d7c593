/**
 * The `tessera` command run from the TypeScript sources, without a build:
 * `node --import tsx src/cli/dev-entry.ts serve`. Tests and benchmarks start
 * real server processes with it; `bin/tessera.js` runs the built package.
 */
import { main } from "./main.js";

process.exitCode = await main(process.argv.slice(2));
