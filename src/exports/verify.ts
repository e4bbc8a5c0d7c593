/**
 * `tessera/verify`: the `@tessera/verify` package, re-exported so that imports
 * written before it became its own package keep working. New code imports
 * `@tessera/verify`, which installs without the server.
 *
 * @module tessera/verify
 */
export * from "@tessera/verify";
