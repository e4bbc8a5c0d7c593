// Configuration ("Configuration"): defaults, and a ConfigError that names
// every bad setting (and never echoes the master key).
import assert from "node:assert/strict";
import { resolve } from "node:path";
import { describe, test } from "node:test";
import { ConfigError, loadConfig, settings } from "../../src/core/config.js";

const KEY = Buffer.alloc(32, 7).toString("base64url");

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    assert.match(error.message, /^invalid configuration:\n {2}/);
    return error.problems;
  }
  assert.fail(`expected a ConfigError for ${JSON.stringify(env)}`);
}

describe("defaults", () => {
  test("an empty environment gives the documented defaults", () => {
    const config = loadConfig({}) as unknown as Record<string, unknown>;
    const expected: Record<string, unknown> = {
      host: "127.0.0.1",
      port: 3000,
      issuer: "http://localhost:3000",
      audience: "http://localhost:3000",
      dataDir: resolve("./data"),
      databaseUrl: "",
      signingAlg: "ES256",
      accessTokenTtlSeconds: 900,
      sessionIdleTimeoutMs: 7 * 86_400_000,
      sessionAbsoluteLifetimeMs: 30 * 86_400_000,
      refreshGraceWindowMs: 10_000,
      jwksMaxAgeSeconds: 300,
      argon2MemoryKib: 19_456,
      argon2Iterations: 2,
      argon2Parallelism: 1,
      defaultScopes: ["openid", "profile", "email"],
      supportedScopes: ["openid", "profile", "email", "offline_access"],
      allowedOrigins: [],
      logLevel: "info",
      sweepIntervalMs: 3_600_000,
      demoPage: true,
    };
    // Settings added later get their own tests; these are the foundation's.
    for (const [key, value] of Object.entries(expected)) assert.deepEqual(config[key], value, key);
    assert.equal(config.masterKey, undefined);
    for (const s of settings) assert.ok(s.key in config || s.fallback === undefined, `${s.env} has a default or is optional`);
  });

  test("the throttles are on by default (the test server turns them off; docs/security.md)", () => {
    const config = loadConfig({}) as unknown as Record<string, unknown>;
    const expected: Record<string, number> = {
      throttleSignInAccount: 5, throttleSignInIp: 100, throttleRegisterIp: 20, throttleTokenIp: 100,
      throttleWindowSeconds: 3600, throttleBaseDelaySeconds: 1, throttleMaxDelaySeconds: 900,
    };
    for (const [key, value] of Object.entries(expected)) assert.equal(config[key], value, key);
  });

  test("the audience defaults to the issuer, whatever the issuer", () => {
    assert.equal(loadConfig({ TESSERA_ISSUER: "https://auth.example.com" }).audience, "https://auth.example.com");
    assert.equal(loadConfig({ TESSERA_ISSUER: "https://auth.example.com", TESSERA_AUDIENCE: "https://api.example.com" }).audience, "https://api.example.com");
  });

  test("the issuer loses a trailing slash and keeps its path", () => {
    assert.equal(loadConfig({ TESSERA_ISSUER: "https://example.com/" }).issuer, "https://example.com");
    assert.equal(loadConfig({ TESSERA_ISSUER: "https://example.com/auth/" }).issuer, "https://example.com/auth");
  });

  test("values are parsed: numbers, lists, origins, booleans, paths", () => {
    const config = loadConfig({
      PORT: "0", TESSERA_ACCESS_TOKEN_TTL: "60", TESSERA_SCOPES: "openid, profile email,api", TESSERA_DEFAULT_SCOPES: "openid",
      TESSERA_ALLOWED_ORIGINS: "https://app.example.com/some/path, http://localhost:5173", TESSERA_DEMO_PAGE: "false",
      TESSERA_DATA_DIR: "relative/dir", TESSERA_MASTER_KEY: KEY, DATABASE_URL: "postgresql://u@h/db", TESSERA_SIGNING_ALG: "EdDSA",
    });
    assert.equal(config.port, 0);
    assert.equal(config.accessTokenTtlSeconds, 60);
    assert.deepEqual(config.supportedScopes, ["openid", "profile", "email", "api"]);
    assert.deepEqual(config.allowedOrigins, ["https://app.example.com", "http://localhost:5173"]);
    assert.equal(config.demoPage, false);
    assert.equal(config.dataDir, resolve("relative/dir"));
    assert.equal(config.masterKey, KEY);
    assert.equal(config.databaseUrl, "postgresql://u@h/db");
    assert.equal(config.signingAlg, "EdDSA");
  });

  test("overrides win over the environment, and an override of undefined unsets a value", () => {
    assert.equal(loadConfig({ PORT: "abc" }, { port: 1234 }).port, 1234);
    assert.equal(loadConfig({ TESSERA_MASTER_KEY: KEY }, { masterKey: undefined }).masterKey, undefined);
  });

  test("the settings table: unique variables, each documented", () => {
    const names = settings.map((s) => s.env);
    assert.equal(new Set(names).size, names.length);
    for (const s of settings) assert.ok(s.doc.length > 10, s.env);
  });
});

describe("each bad setting is named", () => {
  const bad: Array<[string, string]> = [
    ["PORT", "abc"], ["PORT", "70000"], ["PORT", "-1"], ["PORT", "3000.5"], ["PORT", "1e3"], ["PORT", ""],
    ["TESSERA_ISSUER", "not a url"], ["TESSERA_ISSUER", "https://example.com/?x=1"], ["TESSERA_ISSUER", "https://example.com/#f"],
    ["DATABASE_URL", "mysql://localhost/db"],
    ["TESSERA_MASTER_KEY", "too-short"],
    ["TESSERA_SIGNING_ALG", "HS256"], ["TESSERA_SIGNING_ALG", "none"], ["TESSERA_SIGNING_ALG", "es256"],
    ["TESSERA_ACCESS_TOKEN_TTL", "1"], ["TESSERA_ACCESS_TOKEN_TTL", "900s"],
    ["TESSERA_SESSION_IDLE_TIMEOUT", "10"], ["TESSERA_SESSION_ABSOLUTE_LIFETIME", "9999999999"],
    ["TESSERA_REFRESH_GRACE_WINDOW", "301"], ["TESSERA_JWKS_MAX_AGE", "-5"],
    ["TESSERA_ARGON2_MEMORY_KIB", "1024"], ["TESSERA_ARGON2_ITERATIONS", "1"], ["TESSERA_ARGON2_PARALLELISM", "0"],
    ["TESSERA_ALLOWED_ORIGINS", "ftp://files.example.com"], ["TESSERA_ALLOWED_ORIGINS", "not an origin"],
    ["LOG_LEVEL", "loud"], ["TESSERA_SWEEP_INTERVAL", "forever"], ["TESSERA_DEMO_PAGE", "yes"],
  ];
  for (const [name, value] of bad) {
    test(`${name}=${JSON.stringify(value)}`, () => {
      const problems = problemsOf({ [name]: value });
      assert.equal(problems.length, 1, JSON.stringify(problems));
      assert.ok(problems[0]!.startsWith(`${name}=`), problems[0]);
    });
  }

  test("several bad settings: all of them in one error", () => {
    const problems = problemsOf({ PORT: "x", LOG_LEVEL: "loud", TESSERA_SIGNING_ALG: "HS256" });
    assert.deepEqual(problems.map((p) => p.split("=")[0]).sort(), ["LOG_LEVEL", "PORT", "TESSERA_SIGNING_ALG"]);
  });

  test("the master key's value never appears in the error", () => {
    const secret = "this-looks-secret-but-is-31-bytes";
    const problems = problemsOf({ TESSERA_MASTER_KEY: secret });
    assert.ok(!problems[0]!.includes(secret));
    assert.match(problems[0]!, /<hidden>/);
  });

  test("an absolute lifetime shorter than the access-token lifetime", () => {
    const problems = problemsOf({ TESSERA_SESSION_ABSOLUTE_LIFETIME: "60", TESSERA_ACCESS_TOKEN_TTL: "600" });
    assert.match(problems[0]!, /TESSERA_SESSION_ABSOLUTE_LIFETIME.*TESSERA_ACCESS_TOKEN_TTL/);
  });

  test("default scopes missing from the supported scopes", () => {
    const problems = problemsOf({ TESSERA_DEFAULT_SCOPES: "openid admin", TESSERA_SCOPES: "openid" });
    assert.match(problems[0]!, /TESSERA_DEFAULT_SCOPES.*admin/);
  });
});

test("a bad URL setting is named without echoing the password inside it", () => {
  assert.throws(
    () => loadConfig({ DATABASE_URL: "mysql://app:s3cret-pw@db.internal/tessera", REDIS_URL: "http://user:r3dis-pw@cache" }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /DATABASE_URL="mysql:\/\/app:<hidden>@db\.internal\/tessera"/);
      assert.match(error.message, /REDIS_URL="http:\/\/user:<hidden>@cache"/);
      assert.ok(!error.message.includes("s3cret-pw") && !error.message.includes("r3dis-pw"));
      return true;
    },
  );
});
