/** Accounts: registration, password checks (with enumeration-proof failures), roles, disabling. */
import { randomUUID } from "node:crypto";
import type { EmailWrites, Store, UserRow } from "../../store/index.js";
import { looksLikeAddress, parseAddress } from "../email/address.js";
import { invalidCredentials, invalidField, TesseraError } from "../errors.js";
import type { AuthEvents } from "../events.js";
import { passwordProblem, type HashOptions, type PasswordHasher } from "./passwords.js";
import type { RequestMeta } from "../sessions/session-service.js";
import { isIdShaped, normaliseUsername, usernameKey, usernameSkeleton } from "./usernames.js";

export interface UserServiceOptions {
  store: Store;
  hasher: PasswordHasher;
  events: AuthEvents;
  now: () => number;
  /** What a registration with an address writes besides the user (a verification message), in the same transaction. */
  emailWrites?: (user: UserRow) => EmailWrites | undefined;
  /** Told after such a write (the outbox sender looks at once). */
  emailQueued?: (writes: EmailWrites | undefined) => void;
}

export interface NewUser {
  username: string;
  password: string;
  email?: string | null;
  roles?: string[];
}

/** A role name: what `roles` of a user and `TESSERA_MFA_REQUIRED_ROLES` accept. */
export const ROLE_NAME = /^[a-z][a-z0-9_:-]{0,63}$/;

export function parseRoles(row: Pick<UserRow, "roles">): string[] {
  return JSON.parse(row.roles) as string[];
}

export function validateRoles(roles: string[]): string[] {
  for (const role of roles) if (!ROLE_NAME.test(role)) throw invalidField("roles", `"${role}" is not a valid role name (a-z, 0-9, _ : -)`);
  return [...new Set(roles)];
}

export class UserService {
  readonly #o: UserServiceOptions;

  constructor(options: UserServiceOptions) {
    this.#o = options;
  }

  async register(input: NewUser, meta: RequestMeta = {}): Promise<UserRow> {
    const name = normaliseUsername(input.username);
    if ("problem" in name) throw invalidField("username", name.problem);
    // docs/email.md: no spaces, control or format characters (no CR/LF for a header), a real domain.
    const parsed = input.email?.trim() ? parseAddress(input.email) : undefined;
    if (parsed && "problem" in parsed) throw invalidField("email", parsed.problem);
    const email = parsed?.display ?? null;
    const problem = passwordProblem(input.password, { username: name.display });
    if (problem) throw invalidField("password", problem);
    const roles = validateRoles(input.roles ?? ["user"]);
    // Hash before touching the store: never hold the database while hashing.
    const passwordHash = await this.#o.hasher.hash(input.password, { signal: meta.signal });
    const now = this.#o.now();
    const user: UserRow = {
      id: randomUUID(), username: name.display, username_key: name.key, username_skeleton: name.skeleton, email, password_hash: passwordHash,
      roles: JSON.stringify(roles), disabled_at: null, password_changed_at: now, created_at: now, updated_at: now,
    };
    const writes = this.#o.emailWrites?.(user);
    if (!(await this.#o.store.insertUser(user, writes))) throw new TesseraError("username_taken", "That username is taken.");
    this.#o.emailQueued?.(writes);
    this.#o.events.emit("user-registered", { userId: user.id, ip: meta.ip, userAgent: meta.userAgent });
    return user;
  }

  /**
   * Checks a username and password. Every failure (unknown user, wrong password,
   * disabled account) costs one argon2 verification and throws the same error.
   */
  async authenticate(username: string, password: string, options: HashOptions = {}): Promise<UserRow> {
    const user = username.length <= 256 ? await this.#findForSignIn(username) : undefined;
    if (!user) {
      await this.#o.hasher.verifyDummy(password, options);
      throw invalidCredentials("unknown user", "unknown_user");
    }
    const check = await this.#o.hasher.verify(user.password_hash, password, options);
    if (!check.ok) throw invalidCredentials("wrong password");
    if (user.disabled_at !== null) throw invalidCredentials("disabled user", "disabled");
    if (check.needsRehash) {
      const passwordHash = await this.#o.hasher.hash(password);
      await this.#o.store.updateUser(user.id, { password_hash: passwordHash, updated_at: this.#o.now() });
      this.#o.events.emit("password-rehashed", { userId: user.id });
    }
    return user;
  }

  /**
   * A sign-in name: a verified address first when it looks like one (docs/email.md), then a
   * username (usernames may hold `@`; a verified address wins so nobody can squat on another's).
   */
  async #findForSignIn(name: string): Promise<UserRow | undefined> {
    if (looksLikeAddress(name)) {
      const parsed = parseAddress(name);
      const byEmail = "key" in parsed ? await this.#o.store.findUserByVerifiedEmail(parsed.key) : undefined;
      if (byEmail) return byEmail;
    }
    return this.#o.store.findUserByUsernameKey(usernameKey(name));
  }

  async setRoles(userId: string, roles: string[]): Promise<UserRow> {
    const ok = await this.#o.store.updateUser(userId, { roles: JSON.stringify(validateRoles(roles)), updated_at: this.#o.now() });
    return this.#require(ok, userId);
  }

  async setDisabled(userId: string, disabled: boolean): Promise<UserRow> {
    const now = this.#o.now();
    const ok = await this.#o.store.updateUser(userId, { disabled_at: disabled ? now : null, updated_at: now });
    return this.#require(ok, userId);
  }

  /**
   * Finds a user by a selector, never by guessing: `id:<id>` or a bare id-shaped value
   * (a UUID) is an id; `username:<name>` or any other bare value is a username. Usernames
   * cannot be id-shaped, so "the user named X" is never another user's id (names from
   * before that rule are reached with `username:`).
   */
  async find(selector: string): Promise<UserRow | undefined> {
    if (selector.startsWith("id:")) return this.#o.store.findUserById(selector.slice(3));
    if (selector.startsWith("username:")) return this.#o.store.findUserByUsernameKey(usernameKey(selector.slice(9)));
    if (isIdShaped(selector)) return this.#o.store.findUserById(selector.toLowerCase());
    // A bare value that is a verified address finds its user too (docs/email.md).
    return this.#findForSignIn(selector);
  }

  /**
   * Accounts that collided with an older one when look-alike names became one key
   * (migration 004), each with the older account it looks like, for an operator to settle.
   */
  async lookAlikes(): Promise<Array<{ user: UserRow; looksLike: UserRow | undefined }>> {
    const pending = await this.#o.store.listUsersWithoutSkeleton();
    return Promise.all(pending.map(async (user) => {
      const name = user.username.normalize("NFKC").trim();
      const key = usernameKey(name);
      const byKey = await this.#o.store.findUserByUsernameKey(key);
      const looksLike = byKey && byKey.id !== user.id ? byKey : await this.#o.store.findUserBySkeleton(usernameSkeleton(key));
      return { user, looksLike };
    }));
  }

  async #require(ok: boolean, userId: string): Promise<UserRow> {
    const user = ok ? await this.#o.store.findUserById(userId) : undefined;
    if (!user) throw new TesseraError("not_found", "No such user.");
    return user;
  }
}
