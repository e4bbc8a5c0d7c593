/**
 * Look-alike usernames (docs/security.md, "Look-alike usernames"): every user gets the
 * UTS #39 confusable skeleton of their name in a unique column, and `username_key`
 * moves from `toLowerCase()` to full case folding (`straße` and `STRASSE` are one key).
 *
 * Existing accounts that collide under the new rules are never merged or renamed:
 * the oldest of each group keeps its name and takes the key and skeleton; the others
 * keep their name and a NULL skeleton, which `tessera users look-alikes` lists and the
 * server reports at start, for an operator to settle. A younger account whose old key
 * the older one now takes (`STRASSE` beside an older `straße`) cannot sign in by name
 * until then.
 */
import { sql, type Kysely } from "kysely";
import { normaliseUsername, usernameKey, usernameSkeleton } from "../../core/accounts/usernames.js";
import type { MigrationContext } from "./index.js";

interface Row { id: string; username: string; username_key: string }

export async function up(db: Kysely<unknown>, _ctx: MigrationContext): Promise<void> {
  await db.schema.alterTable("users").addColumn("username_skeleton", "text").execute();
  const users = (await sql<Row>`SELECT id, username, username_key FROM users ORDER BY created_at, id`.execute(db)).rows;

  const keyOwner = new Map<string, string>();
  const skeletonOwner = new Map<string, string>();
  const plan: Array<{ id: string; key: string; skeleton: string | null }> = [];
  for (const user of users) {
    const name = normaliseUsername(user.username);
    // A name today's rules refuse (mixed scripts, id-shaped) still gets its key and skeleton: it was valid then.
    const key = "problem" in name ? usernameKey(user.username) : name.key;
    const skeleton = "problem" in name ? usernameSkeleton(user.username.normalize("NFKC").trim()) : name.skeleton;
    if (keyOwner.has(key) || skeletonOwner.has(skeleton)) {
      plan.push({ id: user.id, key: user.username_key, skeleton: null });
      continue;
    }
    keyOwner.set(key, user.id);
    skeletonOwner.set(skeleton, user.id);
    plan.push({ id: user.id, key, skeleton });
  }
  // A look-alike whose old key is the key an older owner now takes gives it up for one nobody
  // can type: the older account signs in by name, the younger one is reported (its name is kept).
  const owned = new Set(plan.filter((p) => p.skeleton !== null).map((p) => p.key));
  for (const p of plan) if (p.skeleton === null && owned.has(p.key)) p.key = `~look-alike~${p.id}`;
  // Two passes, so that swapping keys between rows never trips the unique index midway.
  for (const p of plan) await sql`UPDATE users SET username_key = ${`~migrating~${p.id}`} WHERE id = ${p.id}`.execute(db);
  for (const p of plan) await sql`UPDATE users SET username_key = ${p.key}, username_skeleton = ${p.skeleton} WHERE id = ${p.id}`.execute(db);
  await db.schema.createIndex("users_username_skeleton_idx").on("users").column("username_skeleton").unique().execute();
}
