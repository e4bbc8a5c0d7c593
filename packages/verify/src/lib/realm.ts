/**
 * Remembers which realm authenticated a request, so a guard further down the
 * chain answers with the same realm. Keyed weakly by the request object.
 */
const realms = new WeakMap<object, string>();
export const DEFAULT_REALM = "tessera";

export function rememberRealm(request: object, realm: string): void {
  // The default needs no entry: a WeakMap write per request costs GC work.
  if (realm !== DEFAULT_REALM) realms.set(request, realm);
}

export function realmOf(request: object): string {
  return realms.get(request) ?? DEFAULT_REALM;
}
