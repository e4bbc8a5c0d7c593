// The cluster settings parse what docs/deploy.md documents and name each bad value.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError, loadConfig } from "../../src/core/config.js";

const problems = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    return (error as ConfigError).problems;
  }
};

test("defaults: pool of 10, 5 s statement timeout, no Redis, prefix tessera:, no proxy trusted", () => {
  const c = loadConfig({});
  assert.deepEqual(
    [c.pgPoolSize, c.pgStatementTimeoutMs, c.pgSchema, c.redisUrl, c.redisPrefix, c.trustProxy, c.shutdownTimeoutMs, c.metricsToken],
    [10, 5000, "", "", "tessera:", false, 10_000, undefined],
  );
});

test("TESSERA_TRUST_PROXY: true, false, a hop count, or addresses and CIDR ranges", () => {
  assert.equal(loadConfig({ TESSERA_TRUST_PROXY: "true" }).trustProxy, true);
  assert.equal(loadConfig({ TESSERA_TRUST_PROXY: "false" }).trustProxy, false);
  assert.equal(loadConfig({ TESSERA_TRUST_PROXY: "2" }).trustProxy, 2);
  assert.deepEqual(loadConfig({ TESSERA_TRUST_PROXY: "10.0.0.0/8, 192.168.1.5,::1" }).trustProxy, ["10.0.0.0/8", "192.168.1.5", "::1"]);
  assert.match(problems({ TESSERA_TRUST_PROXY: "yes please" })[0]!, /^TESSERA_TRUST_PROXY=.*not an IP address/);
  assert.match(problems({ TESSERA_TRUST_PROXY: "0" })[0]!, /hop count must be between 1 and 10/);
});

test("bad cluster settings are each named", () => {
  const found = problems({
    REDIS_URL: "http://cache:6379", TESSERA_REDIS_PREFIX: "has space", TESSERA_PG_SCHEMA: "Robert'); DROP",
    TESSERA_PG_POOL_SIZE: "0", TESSERA_METRICS_TOKEN: "short",
  });
  for (const name of ["REDIS_URL", "TESSERA_REDIS_PREFIX", "TESSERA_PG_SCHEMA", "TESSERA_PG_POOL_SIZE", "TESSERA_METRICS_TOKEN"]) {
    assert.ok(found.some((p) => p.startsWith(`${name}=`)), `${name} is named: ${found.join("; ")}`);
  }
  assert.ok(!found.join(" ").includes("short"), "the metrics token is never echoed");
  assert.equal(loadConfig({ REDIS_URL: "rediss://:secret@cache.internal:6380/2" }).redisUrl, "rediss://:secret@cache.internal:6380/2");
});
