/**
 * `tessera/client`: the `@tessera/client` package, re-exported so that imports
 * written before it became its own package keep working. New code imports
 * `@tessera/client`, which has no dependencies.
 *
 * @module tessera/client
 */
export * from "@tessera/client";
