/**
 * Seeds a PostgreSQL schema with `count` users and as many live sessions in two
 * INSERT … SELECT generate_series statements (about a minute for a million on
 * this machine, against hours through the API, where each sign-up hashes a password).
 *
 * Session i belongs to user i and has the id `seedSessionId(i)`. Its refresh
 * token carries a tag made with the server's key, which SQL cannot compute, so
 * the rows hold a placeholder hash; `claimSeededSession` gives one session a real
 * token (stores its hash) just before the benchmark spends it.
 */
import { createHash } from "node:crypto";
import pg from "pg";
import { hashRefreshToken, newRefreshToken, refreshTokenKeys } from "../src/core/sessions/refresh-token-format.js";

/** The id of seeded session i: 16 bytes (MD5 of "seed" + i) as base64url, the shape of a real session id. */
export function seedSessionId(i: number): string {
  return createHash("md5").update(`seed${i}`).digest("base64url");
}

/** Issues seeded session i a refresh token the server (with `masterKey`) accepts. */
export async function claimSeededSession(db: pg.Client, schema: string, masterKey: string, i: number): Promise<string> {
  const sessionId = seedSessionId(i);
  const token = newRefreshToken(refreshTokenKeys(Buffer.from(masterKey, "base64url")), sessionId);
  await db.query(`UPDATE ${schema}.sessions SET refresh_hash = $1 WHERE id = $2`, [hashRefreshToken(token), sessionId]);
  return token;
}

export async function seedMillion(connectionString: string, schema: string, count: number, passwordHash: string): Promise<{ seconds: number }> {
  const started = Date.now();
  const client = new pg.Client({ connectionString, options: `-c search_path=${schema}` });
  await client.connect();
  try {
    const now = Date.now();
    const expires = now + 30 * 86_400_000;
    // The same as seedSessionId(i): MD5 as base64url without padding.
    const sessionId = "translate(rtrim(encode(decode(md5('seed' || i), 'hex'), 'base64'), '='), '+/', '-_')";
    await client.query(`
      INSERT INTO users (id, username, username_key, email, password_hash, roles, disabled_at, password_changed_at, created_at, updated_at)
      SELECT 'seed-user-' || i, 'seed' || i, 'seed' || i, NULL, $1, '["user"]', NULL, $2, $2, $2 FROM generate_series(1, $3::int) AS i`,
    [passwordHash, now, count]);
    await client.query(`
      INSERT INTO sessions (id, user_id, client_id, kind, scope, cookie_hash, created_at, last_used_at, expires_at, refresh_generation, refresh_hash, rotated_at, revoked_at, revoked_reason, user_agent, ip)
      SELECT ${sessionId}, 'seed-user-' || i, 'tessera-web', 'token', 'openid profile email', NULL, $1, $1, $2, 0, md5('unclaimed' || i), NULL, NULL, NULL, 'seed/1.0', '127.0.0.1'
      FROM generate_series(1, $3::int) AS i`,
    [now, expires, count]);
    // Like a database that has lived with these rows: statistics, visibility map and
    // hint bits set, dirty pages written, so the benchmark does not pay for the load.
    await client.query("VACUUM ANALYZE users");
    await client.query("VACUUM ANALYZE sessions");
    await client.query("CHECKPOINT");
  } finally {
    await client.end();
  }
  return { seconds: Math.round((Date.now() - started) / 100) / 10 };
}
