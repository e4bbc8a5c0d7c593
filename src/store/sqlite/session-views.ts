/**
 * The session check of every Bearer request, remembered on SQLite until its
 * rows change. A protected request (`/userinfo`, introspection, Tessera's own
 * routes) reads its session and user by primary key so that a logout, a
 * revocation or a disabled account is refused at once; in the server that
 * read costs more than the whole HTTP floor under it (docs/performance.md,
 * "The session check"). Its answer only changes when one of its two rows
 * changes, and SQLite tells us when that happens, for every writer there is:
 *
 * - **This connection** (the server's own writes: rotations, logouts,
 *   revocations, role changes, a disabled account; whatever the SQL): temporary
 *   triggers on `sessions` and `users`, which exist on this connection only,
 *   call back with the row's id after every UPDATE or DELETE, committed or not.
 *   A session's change forgets that session; a user's change forgets every
 *   session of that user. Nothing else is forgotten, so a busy server's
 *   rotations do not empty what other sessions remembered.
 * - **Any other connection** (the CLI, a second process on the same file):
 *   `PRAGMA data_version` changes when one commits, and then everything is
 *   forgotten. It is read once per turn of the event loop, not per request:
 *   it opens a read transaction, which costs as much as the read it saves. So
 *   another process's change is seen from the next turn on; a request read off
 *   its socket in the same turn as that commit may still pass, as it would
 *   have a moment earlier.
 *
 * The idle and absolute deadlines are judged by the caller against the clock
 * on every request, from the stored times. Inside an open transaction nothing
 * is remembered or answered. A view read while any of these rows changed is
 * not remembered. Unknown ids are never remembered, so guessing fills
 * nothing; the set is bounded. Views are frozen: no caller can change what the
 * next request gets. PostgreSQL reads every time: other instances write
 * without telling this one.
 */
import type SQLite from "better-sqlite3";
import type { SessionStore } from "../sessions/session-store.js";

type FindSessionView = SessionStore["findSessionView"];
type View = NonNullable<Awaited<ReturnType<FindSessionView>>>;

export function rememberSessionViews(database: SQLite.Database, read: FindSessionView, limit = 10_000): FindSessionView {
  const views = new Map<string, View>();
  const sessionsOfUser = new Map<string, Set<string>>();
  // Bumped by every change to a session or user row on this connection: a read that
  // saw it move was racing a write, and its answer is not remembered.
  let changes = 0;

  const forgetSession = (id: string) => {
    changes++;
    const view = views.get(id);
    if (!view) return;
    views.delete(id);
    const ofUser = sessionsOfUser.get(view.user.id);
    ofUser?.delete(id);
    if (ofUser?.size === 0) sessionsOfUser.delete(view.user.id);
  };
  const forgetUser = (id: string) => {
    changes++;
    for (const sid of sessionsOfUser.get(id) ?? []) views.delete(sid);
    sessionsOfUser.delete(id);
  };
  const forgetAll = () => {
    views.clear();
    sessionsOfUser.clear();
  };
  database.function("tessera_session_changed", { deterministic: false, directOnly: true }, (id: unknown) => {
    forgetSession(String(id));
    return null;
  });
  database.function("tessera_user_changed", { deterministic: false, directOnly: true }, (id: unknown) => {
    forgetUser(String(id));
    return null;
  });
  for (const [table, call] of [["sessions", "tessera_session_changed"], ["users", "tessera_user_changed"]] as const) {
    for (const event of ["UPDATE", "DELETE"]) {
      database.exec(`CREATE TEMP TRIGGER IF NOT EXISTS tessera_views_${table}_${event.toLowerCase()} AFTER ${event} ON main.${table} BEGIN SELECT ${call}(OLD.id); END`);
    }
  }

  const othersVersion = database.prepare("PRAGMA data_version").pluck();
  let version = othersVersion.get() as number;
  let versionRead = false;
  const nextTurn = () => {
    versionRead = false;
  };
  /** Forgets everything when another connection committed since the last look (once per turn). */
  function lookForOthers(): void {
    if (versionRead) return;
    versionRead = true;
    setImmediate(nextTurn);
    const now = othersVersion.get() as number;
    if (now !== version) forgetAll();
    version = now;
  }

  return async (id) => {
    if (database.inTransaction) return read(id);
    lookForOthers();
    const known = views.get(id);
    if (known) return known;
    const before = changes;
    const seenVersion = version;
    const view = await read(id);
    if (!view || database.inTransaction || changes !== before || version !== seenVersion) return view;
    if (views.size >= limit) forgetAll();
    const frozen: View = Object.freeze({ session: Object.freeze({ ...view.session }), user: Object.freeze({ ...view.user }) });
    views.set(id, frozen);
    let ofUser = sessionsOfUser.get(frozen.user.id);
    if (!ofUser) sessionsOfUser.set(frozen.user.id, (ofUser = new Set()));
    ofUser.add(id);
    return frozen;
  };
}
