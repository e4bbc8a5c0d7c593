/**
 * Seeds a PostgreSQL schema with `count` users and as many live sessions, each
 * with a refresh token the benchmark can spend, in three INSERT … SELECT
 * generate_series statements (about a minute for a million on this machine,
 * against hours through the API, where each sign-up hashes a password).
 *
 * Session i belongs to user i and holds the token `seedToken(i)`, which is
 * derived from i so that the benchmark knows the plain token while the store
 * keeps only its SHA-256, exactly as the server stores it.
 */
import { createHash } from "node:crypto";
import pg from "pg";

/** The plain refresh token of seeded session i: `tsr_` + 43 hex characters, the shape the server accepts. */
export function seedToken(i: number): string {
  const hex = createHash("md5").update(`seed${i}`).digest("hex") + createHash("md5").update(`more${i}`).digest("hex");
  return `tsr_${hex.slice(0, 43)}`;
}

export async function seedMillion(connectionString: string, schema: string, count: number, passwordHash: string): Promise<{ seconds: number }> {
  const started = Date.now();
  const client = new pg.Client({ connectionString, options: `-c search_path=${schema}` });
  await client.connect();
  try {
    const now = Date.now();
    const expires = now + 30 * 86_400_000;
    // The same SQL expression as seedToken(i), and SHA-256 as base64url without padding, as sha256() in crypto-utils.ts.
    const token = "'tsr_' || substr(md5('seed' || i) || md5('more' || i), 1, 43)";
    const hash = `translate(rtrim(encode(sha256(convert_to(${token}, 'UTF8')), 'base64'), '='), '+/', '-_')`;
    await client.query(`
      INSERT INTO users (id, username, username_key, email, password_hash, roles, disabled_at, password_changed_at, created_at, updated_at)
      SELECT 'seed-user-' || i, 'seed' || i, 'seed' || i, NULL, $1, '["user"]', NULL, $2, $2, $2 FROM generate_series(1, $3::int) AS i`,
    [passwordHash, now, count]);
    await client.query(`
      INSERT INTO sessions (id, user_id, client_id, kind, scope, cookie_hash, created_at, last_used_at, expires_at, refresh_generation, rotated_at, revoked_at, revoked_reason, user_agent, ip)
      SELECT 'seed-session-' || i, 'seed-user-' || i, 'tessera-web', 'token', 'openid profile email', NULL, $1, $1, $2, 0, NULL, NULL, NULL, 'seed/1.0', '127.0.0.1'
      FROM generate_series(1, $3::int) AS i`,
    [now, expires, count]);
    await client.query(`
      INSERT INTO refresh_tokens (token_hash, session_id, generation, created_at)
      SELECT ${hash}, 'seed-session-' || i, 0, $1 FROM generate_series(1, $2::int) AS i`,
    [now, count]);
    // Like a database that has lived with these rows: statistics, visibility map and
    // hint bits set, dirty pages written, so the benchmark does not pay for the load.
    await client.query("VACUUM ANALYZE users");
    await client.query("VACUUM ANALYZE sessions");
    await client.query("VACUUM ANALYZE refresh_tokens");
    await client.query("CHECKPOINT");
  } finally {
    await client.end();
  }
  return { seconds: Math.round((Date.now() - started) / 100) / 10 };
}
