/**
 * The Store, written once in Kysely's query builder so SQLite and PostgreSQL run
 * the same statements. Dialect differences stay in the `StoreDialect` given to the
 * constructor (how to spot a unique violation, what to call the dialect).
 */
import { sql, type CompiledQuery, type Kysely, type QueryResult, type Transaction } from "kysely";
import { prepared, type Executor } from "./prepared.js";
import type { Database } from "./schema.js";
import type {
  ClientRow, Revocation, SessionEnd, SessionRow, SessionView, SigningKeyRow, Store, UserListQuery, UserRow, UserView,
  AuditEventRow, AuditQuery, NewAuditEvent, PasswordResetRow, ApiResourceRow,
} from "./store.js";
import * as security from "./security-queries.js";
import { FactorQueries } from "./factor-queries.js";
import * as email from "./email-queries.js";
import type { EmailTokenRow, EmailWrites, OutboxQuery, OutboxRow, SpentEmailToken } from "./email-queries.js";

export interface StoreDialect {
  name: "sqlite" | "postgres";
  isUniqueViolation(error: unknown): boolean;
  /** True for a failure that says the database cannot answer now (locked, overloaded, unreachable), not that the request is wrong. */
  isUnavailable(error: unknown): boolean;
  /** Runs after `close()` (e.g. to release a pool the dialect opened). */
  onClose?(): Promise<void>;
  /** Runs a compiled hot-path query without the driver's machinery, or answers undefined when it cannot now. */
  runDirect?(query: CompiledQuery): QueryResult<unknown> | undefined;
  /** Runs a compiled hot-path write, committed together with the others of the same moment. */
  runGrouped?(query: CompiledQuery): Promise<QueryResult<unknown>>;
}

const userColumns = [
  "u.id", "u.username", "u.username_key", "u.email", "u.password_hash", "u.roles", "u.disabled_at",
  "u.password_changed_at", "u.created_at", "u.updated_at", "u.email_verified_key", "u.email_verified_at",
] as const;

type Joined = SessionRow & { [K in keyof UserRow as `u_${K}`]: UserRow[K] };

function splitJoined(row: Joined): { session: SessionRow; user: UserRow } {
  const user = {
    id: row.u_id, username: row.u_username, username_key: row.u_username_key, email: row.u_email,
    password_hash: row.u_password_hash, roles: row.u_roles, disabled_at: row.u_disabled_at,
    password_changed_at: row.u_password_changed_at, created_at: row.u_created_at, updated_at: row.u_updated_at,
    email_verified_key: row.u_email_verified_key ?? null, email_verified_at: row.u_email_verified_at ?? null,
  };
  const session = {
    id: row.id, user_id: row.user_id, client_id: row.client_id, kind: row.kind, scope: row.scope,
    cookie_hash: row.cookie_hash, created_at: row.created_at, last_used_at: row.last_used_at,
    expires_at: row.expires_at, refresh_generation: row.refresh_generation, refresh_hash: row.refresh_hash, rotated_at: row.rotated_at,
    revoked_at: row.revoked_at, revoked_reason: row.revoked_reason, user_agent: row.user_agent, ip: row.ip, resource: row.resource,
    amr: row.amr ?? null, auth_time: row.auth_time ?? null,
  };
  return { session, user };
}

export class KyselyStore implements Store {
  readonly #db: Kysely<Database>;
  readonly #dialect: StoreDialect;
  /** The hot-path statements, compiled once (prepared.ts). */
  readonly #q = this.#hotQueries();
  /** Where the hot-path statements run: the dialect's direct path when it has one, else Kysely. */
  readonly #hot: Executor;
  /** Where the hot-path writes run: the dialect's group commit when it has one, else Kysely. */
  readonly #hotWrites: Executor;
  /** Second factors, recovery codes, mfa tokens and WebAuthn challenges (factor-queries.ts). */
  readonly factors: FactorQueries;

  constructor(db: Kysely<Database>, dialect: StoreDialect) {
    this.#db = db;
    this.#dialect = dialect;
    this.factors = new FactorQueries(db, (tx, end, userId) => endSessionsWhere(tx, end, { userId }));
    const direct = dialect.runDirect;
    this.#hot = direct
      ? { executeQuery: <R>(query: CompiledQuery<R>) => { const result = direct(query); return result ? Promise.resolve(result as QueryResult<R>) : db.executeQuery(query); } }
      : db;
    const grouped = dialect.runGrouped;
    this.#hotWrites = grouped ? { executeQuery: <R>(query: CompiledQuery<R>) => grouped(query) as Promise<QueryResult<R>> } : db;
  }

  get dialect(): "sqlite" | "postgres" {
    return this.#dialect.name;
  }

  isUnavailable(error: unknown): boolean {
    return this.#dialect.isUnavailable(error);
  }

  /** The query builder, for the migrator and for benchmarks that seed rows in bulk. */
  get db(): Kysely<Database> {
    return this.#db;
  }

  async insertUser(user: UserRow, writes?: EmailWrites): Promise<boolean> {
    if (!writes) return this.#insertUnlessDuplicate(() => this.#db.insertInto("users").values(user).execute());
    return this.#insertUnlessDuplicate(() => this.#db.transaction().execute(async (tx) => {
      await tx.insertInto("users").values(user).execute();
      await email.applyEmailWrites(tx, writes);
    }));
  }

  async findUserById(id: string): Promise<UserRow | undefined> {
    if (unmatchable(id)) return undefined;
    return this.#db.selectFrom("users").selectAll().where("id", "=", id).executeTakeFirst();
  }

  async findUserByUsernameKey(key: string): Promise<UserRow | undefined> {
    if (unmatchable(key)) return undefined;
    return this.#db.selectFrom("users").selectAll().where("username_key", "=", key).executeTakeFirst();
  }

  async findUserBySkeleton(skeleton: string): Promise<UserRow | undefined> {
    if (unmatchable(skeleton)) return undefined;
    return this.#db.selectFrom("users").selectAll().where("username_skeleton", "=", skeleton).executeTakeFirst();
  }

  async listUsersWithoutSkeleton(): Promise<UserRow[]> {
    return this.#db.selectFrom("users").selectAll().where("username_skeleton", "is", null).orderBy("created_at").limit(1000).execute();
  }

  async listUsers(query: UserListQuery): Promise<UserRow[]> {
    if (unmatchable(query.search, query.after)) return [];
    let q = this.#db.selectFrom("users").selectAll().orderBy("username_key").limit(query.limit);
    if (query.after !== undefined) q = q.where("username_key", ">", query.after);
    if (query.search) {
      const pattern = `%${query.search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      q = q.where((eb) => eb.or([eb("username_key", "like", pattern), eb("email", "like", pattern)]));
    }
    return q.execute();
  }

  async updateUser(id: string, changes: Partial<Omit<UserRow, "id" | "created_at">>): Promise<boolean> {
    const result = await this.#db.updateTable("users").set(changes).where("id", "=", id).executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  changePassword(userId: string, passwordHash: string, keepSessionId: string | null, end: SessionEnd): Promise<string[]> {
    return this.#db.transaction().execute(async (tx) => {
      await tx.updateTable("users")
        .set({ password_hash: passwordHash, password_changed_at: end.now, updated_at: end.now })
        .where("id", "=", userId).execute();
      return endSessionsWhere(tx, end, { userId, exceptId: keepSessionId });
    });
  }

  insertClient(client: ClientRow): Promise<boolean> {
    return this.#insertUnlessDuplicate(() => this.#db.insertInto("clients").values(client).execute());
  }

  async upsertClient(client: ClientRow): Promise<void> {
    const { id: _id, created_at: _created, ...rest } = client;
    await this.#db.insertInto("clients").values(client)
      .onConflict((oc) => oc.column("id").doUpdateSet(rest)).execute();
  }

  async findClient(id: string): Promise<ClientRow | undefined> {
    if (unmatchable(id)) return undefined;
    return (await this.#q.client(this.#hot, id)).rows[0];
  }

  listClients(): Promise<ClientRow[]> {
    return this.#db.selectFrom("clients").selectAll().orderBy("created_at").execute();
  }

  async updateClient(id: string, changes: Partial<Pick<ClientRow, "secret_hash" | "disabled_at">>): Promise<boolean> {
    const result = await this.#db.updateTable("clients").set(changes).where("id", "=", id).executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async deleteClient(id: string): Promise<boolean> {
    const result = await this.#db.deleteFrom("clients").where("id", "=", id).executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }

  insertApiResource(api: ApiResourceRow): Promise<boolean> {
    return this.#insertUnlessDuplicate(() => this.#db.insertInto("api_resources").values(api).execute());
  }

  async findApiResource(identifier: string): Promise<ApiResourceRow | undefined> {
    if (unmatchable(identifier)) return undefined;
    return this.#db.selectFrom("api_resources").selectAll().where("identifier", "=", identifier).executeTakeFirst();
  }

  listApiResources(): Promise<ApiResourceRow[]> {
    return this.#db.selectFrom("api_resources").selectAll().orderBy("identifier").execute();
  }

  async updateApiResource(identifier: string, changes: Partial<Pick<ApiResourceRow, "name" | "scopes" | "grants" | "updated_at">>): Promise<boolean> {
    const result = await this.#db.updateTable("api_resources").set(changes).where("identifier", "=", identifier).executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async deleteApiResource(identifier: string): Promise<boolean> {
    const result = await this.#db.deleteFrom("api_resources").where("identifier", "=", identifier).executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }

  async insertSigningKey(key: SigningKeyRow): Promise<void> {
    await this.#db.insertInto("signing_keys").values(key).execute();
  }

  listSigningKeys(): Promise<SigningKeyRow[]> {
    return this.#db.selectFrom("signing_keys").selectAll().orderBy("activates_at").orderBy("created_at").execute();
  }

  async updateSigningKey(kid: string, changes: Partial<Pick<SigningKeyRow, "retires_at" | "expires_at" | "revoked_at" | "activates_at">>): Promise<void> {
    await this.#db.updateTable("signing_keys").set(changes).where("kid", "=", kid).execute();
  }

  async deleteSigningKeys(kids: string[]): Promise<void> {
    if (kids.length > 0) await this.#db.deleteFrom("signing_keys").where("kid", "in", kids).execute();
  }

  async createSession(session: SessionRow): Promise<void> {
    await this.#db.insertInto("sessions").values(session).execute();
  }

  async findSession(id: string): Promise<SessionRow | undefined> {
    if (unmatchable(id)) return undefined;
    return (await this.#q.session(this.#hot, id)).rows[0];
  }

  async findSessionWithUser(id: string): Promise<{ session: SessionRow; user: UserRow } | undefined> {
    const { rows } = await this.#q.sessionWithUser(this.#hot, id);
    return rows[0] && splitJoined(rows[0] as Joined);
  }

  async findSessionView(id: string): Promise<{ session: SessionView; user: UserView } | undefined> {
    if (unmatchable(id)) return undefined;
    const row = (await this.#q.sessionView(this.#hot, id)).rows[0];
    if (!row) return undefined;
    return {
      session: { id: row.id, client_id: row.client_id, last_used_at: row.last_used_at, expires_at: row.expires_at, revoked_at: row.revoked_at, revoked_reason: row.revoked_reason },
      user: { id: row.u_id, username: row.u_username, email: row.u_email, roles: row.u_roles, disabled_at: row.u_disabled_at, email_verified_at: row.u_email_verified_at ?? null },
    };
  }

  async findSessionByCookieHash(hash: string): Promise<{ session: SessionRow; user: UserRow } | undefined> {
    const row = await this.#sessionWithUser().where("s.cookie_hash", "=", hash).executeTakeFirst();
    return row && splitJoined(row as Joined);
  }

  async rotateRefreshToken(sessionId: string, fromGeneration: number, successorHash: string, now: number): Promise<boolean> {
    // Compare-and-set on the generation: of two requests racing with the same
    // token, exactly one sees a row updated. On PostgreSQL the UPDATE takes the
    // row lock, so the loser blocks, re-evaluates the WHERE and updates nothing.
    const moved = await this.#q.advanceGeneration(this.#hotWrites, fromGeneration + 1, successorHash, now, sessionId, fromGeneration);
    return Number(moved.numAffectedRows ?? 0) === 1;
  }

  async touchSession(id: string, now: number): Promise<void> {
    await this.#db.updateTable("sessions").set({ last_used_at: now }).where("id", "=", id).where("last_used_at", "<", now).execute();
  }

  listLiveSessions(userId: string, now: number, idleCutoff: number): Promise<SessionRow[]> {
    return this.#db.selectFrom("sessions").selectAll()
      .where("user_id", "=", userId)
      .where("revoked_at", "is", null)
      .where("expires_at", ">", now)
      .where("last_used_at", ">", idleCutoff)
      .orderBy("created_at", "desc")
      .execute();
  }

  async endSession(id: string, end: SessionEnd): Promise<boolean> {
    const ended = await this.#db.transaction().execute((tx) => endSessionsWhere(tx, end, { id }));
    return ended.length > 0;
  }

  endUserSessions(userId: string, end: SessionEnd): Promise<string[]> {
    return this.#db.transaction().execute((tx) => endSessionsWhere(tx, end, { userId }));
  }

  async raiseHighWaterMark(name: string, value: number): Promise<number> {
    const row = await this.#db.insertInto("high_water_marks").values({ name, value })
      .onConflict((oc) => oc.column("name").doUpdateSet({
        value: sql<number>`CASE WHEN excluded.value > high_water_marks.value THEN excluded.value ELSE high_water_marks.value END`,
      }))
      .returning("value").executeTakeFirstOrThrow();
    return Number(row.value);
  }

  async revocationsSince(afterSeq: number, nowSeconds: number): Promise<Revocation[]> {
    const rows = await this.#db.selectFrom("revocations").select(["seq", "session_id", "exp"])
      .where("seq", ">", afterSeq).where("exp", ">", nowSeconds).orderBy("seq").limit(10_000).execute();
    return rows.map((r) => ({ seq: Number(r.seq), sessionId: r.session_id, exp: Number(r.exp) }));
  }

  async latestRevocationSeq(): Promise<number> {
    const row = await this.#db.selectFrom("revocations").select((eb) => eb.fn.max("seq").as("seq")).executeTakeFirst();
    return Number(row?.seq ?? 0);
  }

  async sweep(now: number, idleCutoff: number, retentionMs: number): Promise<{ sessions: number; revocations: number }> {
    const sessions = await this.#db.deleteFrom("sessions")
      .where((eb) => eb.or([
        eb("expires_at", "<", now - retentionMs),
        eb("last_used_at", "<", idleCutoff - retentionMs),
        eb("revoked_at", "<", now - retentionMs),
      ]))
      .executeTakeFirst();
    const revocations = await this.#db.deleteFrom("revocations").where("exp", "<", Math.floor(now / 1000) - 60).executeTakeFirst();
    return { sessions: Number(sessions.numDeletedRows), revocations: Number(revocations.numDeletedRows) };
  }

  async countLiveSessions(now: number, idleCutoff: number): Promise<number> {
    const row = await this.#db.selectFrom("sessions").select((eb) => eb.fn.countAll().as("n"))
      .where("revoked_at", "is", null).where("expires_at", ">", now).where("last_used_at", ">", idleCutoff)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  insertAuditEvents(rows: NewAuditEvent[]): Promise<void> {
    return security.insertAuditEvents(this.#db, rows);
  }

  queryAuditEvents(query: AuditQuery): Promise<AuditEventRow[]> {
    return security.queryAuditEvents(this.#db, query);
  }

  pruneAuditEvents(before: number): Promise<number> {
    return security.pruneAuditEvents(this.#db, before);
  }

  forcePasswordReset(reset: PasswordResetRow, passwordHash: string, end: SessionEnd): Promise<string[]> {
    return security.forcePasswordReset(this.#db, endSessionsWhere, reset, passwordHash, end);
  }

  consumePasswordReset(tokenHash: string, passwordHash: string, end: SessionEnd): Promise<{ userId: string; ended: string[] } | undefined> {
    return security.consumePasswordReset(this.#db, endSessionsWhere, tokenHash, passwordHash, end);
  }

  findPasswordReset(tokenHash: string): Promise<PasswordResetRow | undefined> {
    return security.findPasswordReset(this.#db, tokenHash);
  }

  writeEmail(writes: EmailWrites): Promise<void> {
    return email.writeEmail(this.#db, writes);
  }

  async findUserByVerifiedEmail(key: string): Promise<UserRow | undefined> {
    return unmatchable(key) ? undefined : email.findUserByVerifiedEmail(this.#db, key);
  }

  async findEmailToken(secretHash: string): Promise<EmailTokenRow | undefined> {
    return email.findEmailToken(this.#db, secretHash);
  }

  spendVerification(secretHash: string, purposes: string[], now: number): Promise<SpentEmailToken | "conflict" | undefined> {
    return email.spendVerification(this.#db, (e) => this.#dialect.isUniqueViolation(e), secretHash, purposes, now);
  }

  markEmailVerified(userId: string, address: string, key: string, now: number): Promise<boolean> {
    return email.markEmailVerified(this.#db, (e) => this.#dialect.isUniqueViolation(e), userId, address, key, now);
  }

  reserveCodeAttempt(userId: string, purpose: string, now: number, maxAttempts: number): Promise<Pick<EmailTokenRow, "id" | "secret_hash" | "email_key"> | undefined> {
    return email.reserveCodeAttempt(this.#db, userId, purpose, now, maxAttempts);
  }

  spendCode(id: string, now: number): Promise<boolean> {
    return email.spendCode(this.#db, id, now);
  }

  claimOutbox(owner: string, now: number, leaseUntil: number, limit: number): Promise<OutboxRow[]> {
    return email.claimOutbox(this.#db, this.#dialect.name, owner, now, leaseUntil, limit);
  }

  settleOutbox(id: string, owner: string, outcome: Parameters<typeof email.settleOutbox>[3]): Promise<boolean> {
    return email.settleOutbox(this.#db, id, owner, outcome);
  }

  listOutbox(query: OutboxQuery): Promise<OutboxRow[]> {
    return email.listOutbox(this.#db, query);
  }

  countOutbox(): Promise<Record<string, number>> {
    return email.countOutbox(this.#db);
  }

  sweepEmail(sentBefore: number, failedBefore: number, now: number): Promise<{ messages: number; secrets: number }> {
    return email.sweepEmail(this.#db, sentBefore, failedBefore, now);
  }

  async ping(): Promise<void> {
    await this.#db.selectFrom("tessera_migrations" as "users").select((eb) => eb.lit(1).as("one")).limit(1).execute();
  }

  async close(): Promise<void> {
    await this.#db.destroy();
    await this.#dialect.onClose?.();
  }

  // Builders run lazily, at first use, so `this.#db` is set by then.
  #hotQueries() {
    return {
      sessionWithUser: prepared(1, (id: string) => this.#sessionWithUser().where("s.id", "=", id)),
      sessionView: prepared(1, (id: string) => this.#db.selectFrom("sessions as s")
        .innerJoin("users as u", "u.id", "s.user_id")
        .select(["s.id", "s.client_id", "s.last_used_at", "s.expires_at", "s.revoked_at", "s.revoked_reason"])
        .select(["u.id as u_id", "u.username as u_username", "u.email as u_email", "u.roles as u_roles", "u.disabled_at as u_disabled_at", "u.email_verified_at as u_email_verified_at"])
        .where("s.id", "=", id)),
      session: prepared(1, (id: string) => this.#db.selectFrom("sessions").selectAll().where("id", "=", id)),
      client: prepared(1, (id: string) => this.#db.selectFrom("clients").selectAll().where("id", "=", id)),
      advanceGeneration: prepared(5, (next: number, hash: string, now: number, id: string, from: number) => this.#db.updateTable("sessions")
        .set({ refresh_generation: next, refresh_hash: hash, rotated_at: now, last_used_at: now })
        .where("id", "=", id)
        .where("refresh_generation", "=", from)
        .where("revoked_at", "is", null)),
    };
  }

  #sessionWithUser() {
    return this.#db.selectFrom("sessions as s")
      .innerJoin("users as u", "u.id", "s.user_id")
      .selectAll("s")
      .select(userColumns.map((c) => `${c} as u_${c.slice(2)}` as `u.id as u_id`));
  }

  async #insertUnlessDuplicate(insert: () => Promise<unknown>): Promise<boolean> {
    try {
      await insert();
      return true;
    } catch (error) {
      if (this.#dialect.isUniqueViolation(error)) return false;
      throw error;
    }
  }
}

/**
 * A lookup key holding a NUL character matches nothing: no stored text holds
 * one (PostgreSQL cannot store it, and writes validate their input). Answered
 * here as "not found" on every dialect, because PostgreSQL rejects such a
 * parameter outright, which made a sign-in with "a\u0000b" a 500 there and an
 * invalid_grant on SQLite (found by running the HTTP suite on both).
 */
function unmatchable(...keys: Array<string | undefined>): boolean {
  return keys.some((key) => key !== undefined && key.includes("\u0000"));
}

interface SessionFilter {
  id?: string;
  userId?: string;
  exceptId?: string | null;
}

/** Ends the live sessions a filter selects and records each in the revocation feed. */
async function endSessionsWhere(tx: Transaction<Database>, end: SessionEnd, filter: SessionFilter): Promise<string[]> {
  let update = tx.updateTable("sessions")
    .set({ revoked_at: end.now, revoked_reason: end.reason })
    .where("revoked_at", "is", null);
  if (filter.id !== undefined) update = update.where("id", "=", filter.id);
  if (filter.userId !== undefined) update = update.where("user_id", "=", filter.userId);
  if (filter.exceptId) update = update.where("id", "!=", filter.exceptId);
  const ended = await update.returning("id").execute();
  if (ended.length > 0) {
    await tx.insertInto("revocations")
      .values(ended.map((s) => ({ session_id: s.id, exp: end.tokensExpireAt, created_at: end.now })))
      .execute();
  }
  return ended.map((s) => s.id);
}
