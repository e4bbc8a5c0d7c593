// Storage adapters. Each keeps the session (refresh token included) somewhere
// different, and each choice is a trade-off against XSS — see docs/client.md.
import type { ClientOptions, TokenStorage } from "./types.js";

/**
 * A store that lives as long as the page: the default. A script injected into
 * the page can still call the client, but nothing persists after the tab
 * closes and no other origin's code ever reads it.
 *
 * @example
 * ```ts
 * import { createClient, memoryStorage } from "tessera/client";
 * const client = createClient({ baseUrl: "https://auth.example.com", storage: memoryStorage() });
 * ```
 */
export function memoryStorage(): TokenStorage {
  const items = new Map<string, string>();
  return {
    getItem: (key) => items.get(key) ?? null,
    setItem: (key, value) => void items.set(key, value),
    removeItem: (key) => void items.delete(key),
  };
}

/** Resolves the `storage` option to an adapter. */
export function resolveStorage(option: ClientOptions["storage"]): TokenStorage {
  if (option === "localStorage" || option === "sessionStorage") {
    // Reading the property can throw (storage disabled by the user's settings),
    // so that happens here, at start-up, with the browser's own message.
    const store = globalThis[option];
    return {
      getItem: (key) => store.getItem(key),
      setItem: (key, value) => store.setItem(key, value),
      removeItem: (key) => store.removeItem(key),
      shared: option === "localStorage",
    };
  }
  return typeof option === "object" ? option : memoryStorage();
}
