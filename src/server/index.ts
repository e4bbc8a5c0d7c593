/**
 * `tessera/server`: build the HTTP app around a core, or start a whole server.
 *
 * @example
 * ```ts
 * import { loadConfig, startServer } from "tessera/server";
 * const server = await startServer(loadConfig());
 * console.log(`listening on ${server.url}`);
 * ```
 */
export { buildServer, BODY_LIMIT, type BuildOptions } from "./build.js";
export { startServer, type RunningServer } from "./start.js";
export { loadConfig, ConfigError, settings, type Config } from "../core/config.js";
export { createTessera, type TesseraCore } from "./start.js";
export type { Tessera, Principal } from "../core/api.js";
