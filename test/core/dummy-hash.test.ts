// An unknown username costs a real argon2 verification, like a wrong password:
// the dummy path goes through the real hasher (a counting subclass records
// every verification) against a real argon2id hash made with the server's own
// policy, never against a string that fails at once.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { hash as argon2Hash, parseOptions, type Options as Argon2Options } from "@node-rs/argon2";
import { CredentialsRefused, type CredentialFailure } from "../../src/core/errors.js";
import { AuthEvents } from "../../src/core/events.js";
import { PasswordHasher, type PasswordCheck } from "../../src/core/accounts/passwords.js";
import { UserService } from "../../src/core/accounts/users.js";
import { openSqliteStore, type Store } from "../../src/store/index.js";

const POLICY = { memoryKib: 19_456, iterations: 2, parallelism: 1, concurrency: 1 };
/** The real hashing module, whose first hash fails (one thread: concurrency 1). */
const FIRST_HASH_FAILS = { filename: new URL("./first-hash-fails-worker.cts", import.meta.url).pathname, execArgv: ["--require", "tsx/cjs"] };

/** The real hasher, counting: which stored hashes it was asked to verify against. */
class CountingHasher extends PasswordHasher {
  readonly verified: string[] = [];
  override verify(storedHash: string, password: string): Promise<PasswordCheck> {
    this.verified.push(storedHash);
    return super.verify(storedHash, password);
  }
}

let store: Store;
let hasher: CountingHasher;
let users: UserService;
const rehashed: string[] = [];

before(async () => {
  store = await openSqliteStore({ filename: ":memory:" });
  hasher = new CountingHasher(POLICY);
  const events = new AuthEvents();
  events.on("password-rehashed", (event) => rehashed.push(event.userId));
  users = new UserService({ store, hasher, events, now: Date.now });
  await users.register({ username: "alice", password: "a correct horse battery staple" });
});
after(async () => {
  await hasher.close();
  await store.close();
});

/**
 * The one answer of every refused sign-in (same code, same message), carrying why
 * for the sign-in event and the metrics only: an operator tells a probe of unknown
 * names from wrong passwords by it.
 */
const refusedAs = (outcome: CredentialFailure) => (e: unknown) => {
  assert.ok(e instanceof CredentialsRefused, String(e));
  assert.deepEqual([e.code, e.message, e.outcome], ["invalid_grant", "The username or password is incorrect.", outcome]);
  return true;
};

/** Two unknown usernames, each refused after exactly one verification, by `on`'s hasher, against an argon2id hash of the policy. */
async function assertUnknownUsersCostOneRealVerification(on: Pick<UserService, "authenticate">, counted: { verified: string[] }) {
  for (const name of ["nobody", "nobody-else"]) {
    counted.verified.length = 0;
    await assert.rejects(on.authenticate(name, "some guess"), refusedAs("unknown_user"));
    assert.equal(counted.verified.length, 1, "one verification, as for a known user");
    const used = parseOptions(counted.verified[0]!); // throws on anything but a PHC string
    assert.deepEqual([used.algorithm, used.memoryCost, used.timeCost, used.parallelism], [2, POLICY.memoryKib, POLICY.iterations, POLICY.parallelism]);
  }
}

test("an unknown username is verified once, by the real hasher, against an argon2id hash of the server's policy", async () => {
  await assertUnknownUsersCostOneRealVerification(users, hasher);
});

test("a known username with a wrong password costs the same: one verification with the same parameters", async () => {
  hasher.verified.length = 0;
  await assert.rejects(users.authenticate("alice", "wrong guess"), refusedAs("invalid_credentials"));
  assert.equal(hasher.verified.length, 1);
  const used = parseOptions(hasher.verified[0]!);
  assert.deepEqual([used.algorithm, used.memoryCost, used.timeCost, used.parallelism], [2, POLICY.memoryKib, POLICY.iterations, POLICY.parallelism]);
});

test("the right password is accepted, verified against that user's own hash, which is kept when it meets the policy", async () => {
  const stored = (await store.findUserByUsernameKey("alice"))!.password_hash;
  hasher.verified.length = 0;
  const user = await users.authenticate("alice", "a correct horse battery staple");
  assert.equal(user.username, "alice");
  assert.deepEqual(hasher.verified, [stored], "one verification, against alice's hash");
  assert.equal((await store.findUserByUsernameKey("alice"))!.password_hash, stored, "no needless re-hash");
});

test("a hash weaker than the policy is replaced at the next good sign-in, and only then", async () => {
  const weak = new PasswordHasher({ ...POLICY, iterations: 1 });
  try {
    const old = new UserService({ store, hasher: weak, events: new AuthEvents(), now: Date.now });
    await old.register({ username: "bob", password: "a long enough passphrase here" });
  } finally {
    await weak.close();
  }
  const before = (await store.findUserByUsernameKey("bob"))!.password_hash;
  await assert.rejects(users.authenticate("bob", "a wrong guess"), refusedAs("invalid_credentials"));
  assert.equal((await store.findUserByUsernameKey("bob"))!.password_hash, before, "a failed sign-in re-hashes nothing");
  await users.authenticate("bob", "a long enough passphrase here");
  const bobRow = (await store.findUserByUsernameKey("bob"))!;
  const after = bobRow.password_hash;
  assert.notEqual(after, before);
  assert.equal(parseOptions(after).timeCost, POLICY.iterations);
  assert.deepEqual(rehashed, [bobRow.id], "the re-hash is reported, once, for bob");
});

test("each way a hash falls short of the policy is replaced: less memory, other parallelism, another argon2 variant", async () => {
  const ARGON2I = 1;
  const ARGON2ID = 2; // the values of @node-rs/argon2's const enum Algorithm
  const weaker: Record<string, Argon2Options> = {
    "less memory": { algorithm: ARGON2ID, memoryCost: POLICY.memoryKib / 2, timeCost: POLICY.iterations, parallelism: POLICY.parallelism },
    "other parallelism": { algorithm: ARGON2ID, memoryCost: POLICY.memoryKib, timeCost: POLICY.iterations, parallelism: 2 },
    "argon2i": { algorithm: ARGON2I, memoryCost: POLICY.memoryKib, timeCost: POLICY.iterations, parallelism: POLICY.parallelism },
  };
  for (const [name, options] of Object.entries(weaker)) {
    const username = `weak-${name.replace(/ /g, "-")}`;
    const password = `a passphrase for ${name}`;
    const user = await users.register({ username, password });
    await store.updateUser(user.id, { password_hash: await argon2Hash(password, options) });
    await users.authenticate(username, password);
    const used = parseOptions((await store.findUserByUsernameKey(username))!.password_hash);
    assert.deepEqual([used.algorithm, used.memoryCost, used.timeCost, used.parallelism], [2, POLICY.memoryKib, POLICY.iterations, POLICY.parallelism], name);
  }
});

test("a disabled account is refused with the right password, like a wrong one, after the same one verification", async () => {
  const user = await users.register({ username: "carol", password: "the right password of an account" });
  await store.updateUser(user.id, { disabled_at: Date.now() });
  hasher.verified.length = 0;
  await assert.rejects(users.authenticate("carol", "the right password of an account"), refusedAs("disabled"));
  assert.equal(hasher.verified.length, 1);
});

test("a dummy hash that failed is not kept: the next unknown username makes it again and costs a real verification", { timeout: 30_000 }, async () => {
  const failing = new CountingHasher(POLICY, FIRST_HASH_FAILS);
  const service = new UserService({ store, hasher: failing, events: new AuthEvents(), now: Date.now });
  try {
    // The thread's failure reaches the caller; nothing is verified against a hash that was never made.
    await assert.rejects(service.authenticate("nobody", "some guess"), /failed its first hash/);
    assert.deepEqual(failing.verified, [], "no verification against a missing dummy hash");
    await assertUnknownUsersCostOneRealVerification(service, failing);
    // Known users are checked as before on the same hasher.
    await service.authenticate("alice", "a correct horse battery staple");
  } finally {
    await failing.close();
  }
});
