/**
 * Refresh-token rotation, the grace window and reuse detection
 * (docs/refresh-rotation.md), as the steps a `grant_type=refresh_token`
 * request goes through, in order:
 *
 * 1. `findGenuineToken`: the token has our shape and tag, names a session of
 *    this client, and is either the session's current token or a spent one;
 * 2. `refuseEndedSession`: a session past its idle or absolute end, revoked,
 *    or of a disabled user refreshes nothing;
 * 3. `rotateCurrent`: the current token rotates by compare-and-set on the
 *    session's generation (a lost race is judged again against the fresh row);
 * 4. `judgeSpentToken`: the immediate predecessor within the grace window gets
 *    the same current token back (`withinGraceWindow`); anything else is
 *    reuse, and `endForReuse` ends the session.
 *
 * The token format itself (successor derivation, tags) is refresh-token-format.ts.
 */
import type { ClientRow, SessionRow, Store, UserRow } from "../../store/index.js";
import { safeEqual } from "../crypto-utils.js";
import { invalidRefreshToken } from "../errors.js";
import type { AuthEvents } from "../events.js";
import { hashRefreshToken, looksLikeRefreshToken, parseRefreshToken, successorOf, type RefreshTokenKeys } from "./refresh-token-format.js";
import type { EndContext, RefreshResult, RefreshTokenOwner, RequestMeta, SessionEndReason } from "./session-service.js";

/** What the steps need from the session service. */
export interface RefreshContext {
  store: Store;
  events: AuthEvents;
  now: () => number;
  refreshKeys: RefreshTokenKeys;
  /** ms after a rotation during which the predecessor still returns the current token. */
  graceWindowMs: number;
  endedReason(session: SessionRow, user: UserRow): string | undefined;
  end(sessionId: string, reason: SessionEndReason, context?: EndContext): Promise<boolean>;
}

type Ids = { sessionId: string; userId: string; clientId?: string; ip?: string | undefined; userAgent?: string | undefined };

/** Whether `tokenHash` is the session's current refresh token (constant time). */
export function holdsHash(session: SessionRow, tokenHash: string): boolean {
  return session.refresh_hash !== null && safeEqual(tokenHash, session.refresh_hash);
}

/** The session of a refresh token the server issued (current or spent); undefined for anything else. */
export async function refreshTokenOwner(c: Pick<RefreshContext, "store" | "refreshKeys">, token: string): Promise<RefreshTokenOwner | undefined> {
  const parsed = parseRefreshToken(c.refreshKeys, token);
  const found = parsed && (await c.store.findSessionWithUser(parsed.sessionId));
  if (!found) return undefined;
  return { ...found, current: holdsHash(found.session, hashRefreshToken(token)) };
}

/** Rotates a refresh token; `authorize` runs once the token is known good and before anything is spent. */
export async function refreshSession(
  c: RefreshContext, token: string, client: ClientRow, meta: RequestMeta = {},
  authorize?: (session: SessionRow, user: UserRow) => Promise<void>,
): Promise<RefreshResult> {
  const origin = { clientId: client.id, ip: meta.ip, userAgent: meta.userAgent };
  const owner = await findGenuineToken(c, token, client, origin);
  const { session, user } = owner;
  const ids = { sessionId: session.id, userId: user.id, ...origin };
  await refuseEndedSession(c, session, user, ids);
  // A request `authorize` refuses (a scope or resource the session does not hold) leaves the token as it was.
  if (authorize) await authorize(session, user);
  const successor = successorOf(c.refreshKeys, session.id, token);
  const successorHash = hashRefreshToken(successor);
  if (owner.current) {
    const rotated = await rotateCurrent(c, session, user, successor, successorHash, ids);
    if (rotated) return rotated;
    // Lost the compare-and-set: someone rotated this very token a moment ago
    // (or ended the session). Judge again against the fresh row.
    const fresh = await c.store.findSession(session.id);
    if (!fresh || fresh.revoked_at !== null) throw invalidRefreshToken("session ended during refresh", "revoked");
    return judgeSpentToken(c, fresh, user, successor, successorHash, origin);
  }
  return judgeSpentToken(c, session, user, successor, successorHash, origin);
}

/** Step 1: a token we issued, for a token session of this client. */
export async function findGenuineToken(c: RefreshContext, token: string, client: ClientRow, origin: Omit<Ids, "sessionId" | "userId">): Promise<RefreshTokenOwner> {
  if (!looksLikeRefreshToken(token)) throw invalidRefreshToken("malformed");
  const owner = await refreshTokenOwner(c, token);
  if (!owner) {
    c.events.emit("refresh", { outcome: "invalid", ...origin });
    throw invalidRefreshToken("unknown token");
  }
  if (owner.session.client_id !== client.id || owner.session.kind !== "token") {
    c.events.emit("refresh", { outcome: "invalid", sessionId: owner.session.id, userId: owner.user.id, ...origin });
    throw invalidRefreshToken("token of another client");
  }
  return owner;
}

/** Step 2: an ended session refreshes nothing (one past its idle or absolute end is ended now). */
export async function refuseEndedSession(c: RefreshContext, session: SessionRow, user: UserRow, ids: Ids): Promise<void> {
  const ended = c.endedReason(session, user);
  if (ended === undefined) return;
  const timedOut = ended === "idle_timeout" || ended === "absolute_lifetime";
  if (timedOut) await c.end(session.id, ended, { userId: user.id });
  c.events.emit("refresh", { outcome: session.revoked_at === null ? "expired" : "revoked", ...ids });
  const reason = timedOut ? ended : session.revoked_reason === "refresh_token_reuse" ? "reuse" : "revoked";
  throw invalidRefreshToken(ended, reason);
}

/** Step 3: the current token rotates, by compare-and-set on the generation; undefined when another request won. */
export async function rotateCurrent(c: RefreshContext, session: SessionRow, user: UserRow, successor: string, successorHash: string, ids: Ids): Promise<RefreshResult | undefined> {
  const now = c.now();
  const generation = session.refresh_generation;
  if (!(await c.store.rotateRefreshToken(session.id, generation, successorHash, now))) return undefined;
  c.events.emit("refresh", { outcome: "rotated", ...ids });
  const rotated = { ...session, refresh_generation: generation + 1, refresh_hash: successorHash, rotated_at: now, last_used_at: now };
  return { session: rotated, user, refreshToken: successor, repeated: false };
}

/** Whether the session rotated no longer than the grace window ago. */
export function withinGraceWindow(session: Pick<SessionRow, "rotated_at">, nowMs: number, graceWindowMs: number): boolean {
  return session.rotated_at !== null && nowMs - session.rotated_at <= graceWindowMs;
}

/** Step 4: a genuine token that is no longer current: the grace repeat, or reuse. */
export async function judgeSpentToken(c: RefreshContext, session: SessionRow, user: UserRow, successor: string, successorHash: string, origin: RequestMeta): Promise<RefreshResult> {
  const ids = { sessionId: session.id, userId: user.id, ip: origin.ip, userAgent: origin.userAgent };
  // The immediate predecessor is the one token whose successor is current.
  const predecessor = holdsHash(session, successorHash);
  if (predecessor && withinGraceWindow(session, c.now(), c.graceWindowMs)) {
    c.events.emit("refresh-reuse", { cause: "benign_race", ...ids });
    c.events.emit("refresh", { outcome: "grace", ...ids });
    return { session, user, refreshToken: successor, repeated: true };
  }
  return endForReuse(c, session, user, predecessor, origin);
}

/** Reuse: a thief and the user now hold the same family, so the session ends. */
export async function endForReuse(c: RefreshContext, session: SessionRow, user: UserRow, predecessor: boolean, origin: RequestMeta): Promise<never> {
  const ids = { sessionId: session.id, userId: user.id, ip: origin.ip, userAgent: origin.userAgent };
  c.events.emit("refresh-reuse", { cause: "suspected_theft", ...ids });
  c.events.emit("refresh", { outcome: "reuse", ...ids });
  await c.end(session.id, "refresh_token_reuse", { userId: user.id, ...origin });
  const which = predecessor ? "the predecessor after the grace window" : "an older token";
  throw invalidRefreshToken(`reuse of ${which}, session at generation ${session.refresh_generation}`, "reuse");
}
