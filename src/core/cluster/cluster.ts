/**
 * An instance's place in a cluster (docs/deploy.md): the optional Redis link
 * and the bus over it, joined to the core by createTessera. Without REDIS_URL
 * both are absent and the instance still works beside others on PostgreSQL:
 * the feed polls the store and keys reload every minute.
 */
import type { Config } from "../config.js";
import type { AuthEvents } from "../events.js";
import type { KeyRing } from "../keys/key-ring.js";
import type { RevocationFeed } from "../sessions/revocation-feed.js";
import { ClusterBus } from "./cluster-bus.js";
import { RedisLink } from "./redis-link.js";

/** How long a start waits for Redis before serving without it (ms). */
const REDIS_SETTLE = 2000;

export async function openRedisLink(config: Config): Promise<RedisLink | undefined> {
  if (!config.redisUrl) return undefined;
  const link = new RedisLink({ url: config.redisUrl, prefix: config.redisPrefix });
  await link.settle(REDIS_SETTLE);
  return link;
}

/**
 * Watches the key ring from before its first load, so that a key this start
 * creates (an empty database) is announced once the bus exists: instances
 * started together on an empty database then converge on the same keys.
 */
export function watchKeysUntilJoined(keys: KeyRing): { changed: () => boolean } {
  let changed = false;
  keys.onChange = () => { changed = true; };
  return { changed: () => changed };
}

export function joinCluster(link: RedisLink | undefined, parts: { events: AuthEvents; feed: RevocationFeed; keys: KeyRing }, keysChangedAtStart: boolean): ClusterBus | undefined {
  if (!link) {
    parts.keys.onChange = () => undefined;
    return undefined;
  }
  const bus = new ClusterBus({ link, ...parts });
  parts.keys.onChange = () => bus.send({ type: "keys-changed" });
  if (keysChangedAtStart) bus.send({ type: "keys-changed" });
  return bus;
}
