// Unit tests of the core's small parts: usernames, the password length rule,
// refresh-token shape and successors, the master key's envelope, the Gate, TesseraError.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import fc from "fast-check";
import { Gate } from "../../src/core/accounts/gate.js";
import { deriveKey, loadMasterKey, MASTER_KEY_FILE, seal, unseal } from "../../src/core/keys/master-key.js";
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, passwordProblem } from "../../src/core/accounts/passwords.js";
import {
  hashRefreshToken, looksLikeRefreshToken, newRefreshToken, parseRefreshToken, REFRESH_TOKEN_PREFIX, successorOf,
} from "../../src/core/sessions/refresh-token-format.js";
import { normaliseUsername, usernameKey } from "../../src/core/accounts/usernames.js";
import { TesseraError } from "../../src/core/errors.js";

function keyOf(raw: string): string {
  const result = normaliseUsername(raw);
  assert.ok(!("problem" in result), `${JSON.stringify(raw)}: ${"problem" in result ? result.problem : ""}`);
  return result.key;
}

function problemOf(raw: string): string {
  const result = normaliseUsername(raw);
  assert.ok("problem" in result, `${JSON.stringify(raw)} should be refused`);
  return result.problem;
}

describe("usernames", () => {
  test('case and width fold: "Alice", "ALICE", full-width "Ａｌｉｃｅ" and " alice " are one account', () => {
    for (const variant of ["Alice", "ALICE", "Ａｌｉｃｅ", "ＡＬＩＣＥ", " alice ", "alice"]) assert.equal(keyOf(variant), "alice", variant);
    assert.equal(usernameKey("Ａｌｉｃｅ"), "alice");
  });

  test("the display form is NFKC and trimmed, but keeps its case", () => {
    const result = normaliseUsername("  Ａｌｉｃｅ ");
    assert.ok(!("problem" in result));
    assert.equal(result.display, "Alice");
  });

  test("composed and decomposed accents are one account", () => {
    assert.equal(keyOf("Jos\u00E9"), keyOf("Jose\u0301"));
  });

  test("letters of any script, digits and . _ - @ + are allowed", () => {
    for (const name of ["a.b_c-d@e+f", "jürgen", "Ελένη", "дмитрий", "山田太郎", "user123", "١٢٣abc", "x@example.com"]) keyOf(name);
  });

  test("anything else is refused", () => {
    for (const name of ["a b", "a/b", "a\\b", "a:b", "a'b", 'a"b', "a<b>", "a\u0000b", "a\u202Eb", "a\u200Bb", "ab\u{1F600}", "a\uD800b", "a\tb", "a%b", "a#b"]) {
      assert.match(problemOf(name), /letters, digits|invisible or filler/, JSON.stringify(name));
    }
  });

  test("3 to 64 characters after normalisation, counted in code points", () => {
    assert.match(problemOf("ab"), /3 to 64/);
    assert.match(problemOf("  ab  "), /3 to 64/);
    keyOf("abc");
    keyOf("a".repeat(64));
    assert.match(problemOf("a".repeat(65)), /3 to 64/);
    // U+20000 is one letter but two UTF-16 units: 64 of them are fine.
    keyOf("\u{20000}".repeat(64));
    assert.match(problemOf("\u{20000}".repeat(65)), /3 to 64/);
    // NFKC expands U+FB03 (the "ffi" ligature) to three letters.
    keyOf("\uFB03");
  });

  test("property: the sign-in key of any valid name equals its registration key, and normalising is idempotent", () => {
    const chars = fc.constantFrom(..."aAzZ09._-@+ßİıÅåÆǅＡｚ１Ⅻﬃ\u0301é山Ωω".split(""), " ");
    fc.assert(fc.property(fc.array(chars, { minLength: 1, maxLength: 70 }).map((a) => a.join("")), (raw) => {
      const result = normaliseUsername(raw);
      if ("problem" in result) return;
      assert.equal(usernameKey(raw), result.key);
      const again = normaliseUsername(result.display);
      assert.ok(!("problem" in again));
      assert.equal(again.key, result.key);
      assert.equal(usernameKey(result.key), result.key);
    }), { numRuns: 300 });
  });
});

describe("password length rule", () => {
  test(`${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters`, () => {
    assert.equal(PASSWORD_MIN_LENGTH, 8);
    assert.equal(PASSWORD_MAX_LENGTH, 128);
    assert.match(passwordProblem("q7#vX2m")!, /at least 8/);
    assert.equal(passwordProblem("q7#vX2mZ"), undefined);
    assert.equal(passwordProblem("q7#vX2mZ".repeat(16)), undefined);
    assert.match(passwordProblem(`${"q7#vX2mZ".repeat(16)}k`)!, /at most 128/);
    assert.match(passwordProblem("")!, /at least 8/);
  });

  test("counts code points, not UTF-16 units", () => {
    // Seven emoji are fourteen UTF-16 units but seven characters: too short.
    assert.match(passwordProblem("\u{1F511}\u{1F510}\u{1F512}\u{1F513}\u{1F5DD}\u{1F6AA}\u{1F3F0}")!, /at least 8/);
    assert.equal(passwordProblem("\u{1F511}\u{1F510}\u{1F512}\u{1F513}\u{1F5DD}\u{1F6AA}\u{1F3F0}\u{1F9ED}"), undefined);
    // 128 astral characters (256 units) are allowed, 129 are not.
    const astral = Array.from({ length: 129 }, (_, i) => String.fromCodePoint(0x20000 + i * 7));
    assert.equal(passwordProblem(astral.slice(0, 128).join("")), undefined);
    assert.match(passwordProblem(astral.join(""))!, /at most 128/);
  });

  test("counts after NFKC: a composed and a decomposed accent are one character", () => {
    assert.match(passwordProblem("e\u0301".repeat(7))!, /at least 8/);
    assert.equal(passwordProblem("e\u0301".repeat(8)), undefined);
  });

  test("an unpaired surrogate is refused (argon2 would see U+FFFD: two passwords, one hash)", () => {
    assert.ok(passwordProblem("\uD800q7#vX2mZk"));
    assert.ok(passwordProblem("q7#vX2mZk\uDC00"));
  });
});

describe("refresh tokens", () => {
  const keys = { successor: randomBytes(32), tag: randomBytes(32) };
  const sid = () => randomBytes(16).toString("base64url");

  test("shape: tsr_, the session id, then 256 secret bits and a 128-bit tag in base64url", () => {
    const sessionId = sid();
    const token = newRefreshToken(keys, sessionId);
    assert.equal(REFRESH_TOKEN_PREFIX, "tsr_");
    assert.match(token, /^tsr_[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{64}$/);
    assert.equal(token.slice(4, 26), sessionId);
    assert.equal(Buffer.from(token.slice(27), "base64url").length, 48);
    assert.ok(looksLikeRefreshToken(token));
    assert.deepEqual(parseRefreshToken(keys, token), { sessionId });
  });

  test("a thousand first tokens of one session are all different", () => {
    const sessionId = sid();
    assert.equal(new Set(Array.from({ length: 1000 }, () => newRefreshToken(keys, sessionId))).size, 1000);
  });

  test("parseRefreshToken refuses other shapes and every token the server did not issue", () => {
    const sessionId = sid();
    const good = newRefreshToken(keys, sessionId);
    const body = good.slice(27);
    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === "A" ? "B" : "A") + s.slice(i + 1);
    const bad = [
      "", "tsr_", good.slice(0, -1), `${good}A`, good.replace("tsr_", "tsx_"), ` ${good}`, "eyJ.eyJ.sig",
      `tsr_${sid()}.${body}`, // a genuine body moved to another session
      flip(good, 30), // secret altered
      flip(good, good.length - 3), // tag altered
      newRefreshToken({ successor: keys.successor, tag: randomBytes(32) }, sessionId), // another server's tag key
      `tsr_${sessionId}.${randomBytes(48).toString("base64url")}`, // made up for a known session id
    ];
    for (const token of bad) assert.equal(parseRefreshToken(keys, token), undefined, token);
  });

  test("the successor is deterministic per key and token, genuine, of the same session, and differs from its predecessor", () => {
    const sessionId = sid();
    const token = newRefreshToken(keys, sessionId);
    const next = successorOf(keys, sessionId, token);
    assert.equal(successorOf(keys, sessionId, token), next);
    assert.deepEqual(parseRefreshToken(keys, next), { sessionId });
    assert.notEqual(next, token);
    assert.notEqual(successorOf({ ...keys, successor: randomBytes(32) }, sessionId, token), next, "another key, another successor");
    assert.notEqual(successorOf(keys, sessionId, newRefreshToken(keys, sessionId)), next, "another token, another successor");
    // A chain does not cycle quickly.
    const chain = new Set([token]);
    let current = token;
    for (let i = 0; i < 100; i++) chain.add((current = successorOf(keys, sessionId, current)));
    assert.equal(chain.size, 101);
  });

  test("the stored form is a SHA-256 that does not contain the token's secret", () => {
    const token = newRefreshToken(keys, sid());
    const hash = hashRefreshToken(token);
    assert.match(hash, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(hashRefreshToken(token), hash);
    assert.ok(!hash.includes(token.slice(27, 47)));
  });
});

describe("master key", () => {
  const key = randomBytes(32);

  test("seal and unseal round trip, with a fresh IV each time", () => {
    const secret = JSON.stringify({ kty: "EC", d: "private-part", unicode: "ключ 🔑" });
    const a = seal(key, secret, "kid-1");
    const b = seal(key, secret, "kid-1");
    assert.match(a, /^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
    assert.notEqual(a, b);
    assert.ok(!a.includes("private-part"));
    assert.equal(unseal(key, a, "kid-1"), secret);
    assert.equal(unseal(key, b, "kid-1"), secret);
  });

  test("the wrong AAD (another key id) is refused", () => {
    assert.throws(() => unseal(key, seal(key, "secret", "kid-1"), "kid-2"));
  });

  test("the wrong key is refused", () => {
    assert.throws(() => unseal(randomBytes(32), seal(key, "secret", "kid-1"), "kid-1"));
  });

  test("a flipped bit anywhere in IV, ciphertext or tag is refused", () => {
    const envelope = seal(key, "a secret long enough to flip", "kid");
    const parts = envelope.split(".");
    for (const index of [1, 2, 3]) {
      const bytes = Buffer.from(parts[index]!, "base64url");
      for (const at of [0, bytes.length - 1]) {
        const flipped = Buffer.from(bytes);
        flipped[at]! ^= 0x01;
        const forged = parts.map((p, i) => (i === index ? flipped.toString("base64url") : p)).join(".");
        assert.throws(() => unseal(key, forged, "kid"), `part ${index}, byte ${at}`);
      }
    }
  });

  test("a truncated authentication tag is refused (GCM would otherwise accept 4..15-byte tags)", () => {
    const [version, iv, ciphertext, tag] = seal(key, "secret", "kid").split(".");
    for (const length of [4, 8, 12, 15]) {
      const short = Buffer.from(tag!, "base64url").subarray(0, length).toString("base64url");
      assert.throws(() => unseal(key, [version, iv, ciphertext, short].join("."), "kid"), `tag of ${length} bytes`);
    }
  });

  test("unknown envelope formats are refused", () => {
    const envelope = seal(key, "secret", "kid");
    for (const bad of ["", "v1", envelope.replace(/^v1/, "v2"), envelope.split(".").slice(0, 3).join("."), envelope.replace(/\.[^.]*$/, ".")]) {
      assert.throws(() => unseal(key, bad, "kid"), JSON.stringify(bad));
    }
  });

  test("derived keys: 32 bytes, deterministic, one per purpose", () => {
    const a = deriveKey(key, "key-encryption");
    assert.equal(a.length, 32);
    assert.deepEqual(deriveKey(key, "key-encryption"), a);
    assert.notDeepEqual(deriveKey(key, "refresh-successor"), a);
    assert.notDeepEqual(deriveKey(randomBytes(32), "key-encryption"), a);
    assert.notDeepEqual(a, key);
  });

  test("loadMasterKey: creates the file with mode 0600 in a new folder, then reuses it", () => {
    const root = mkdtempSync(join(tmpdir(), "tessera-mk-"));
    try {
      const dataDir = join(root, "nested", "data");
      const first = loadMasterKey({ masterKey: undefined, dataDir });
      const path = join(dataDir, MASTER_KEY_FILE);
      assert.ok(existsSync(path));
      assert.equal(statSync(path).mode & 0o777, 0o600);
      assert.equal(first.length, 32);
      assert.deepEqual(loadMasterKey({ masterKey: undefined, dataDir }), first);
      assert.equal(readFileSync(path, "utf8").trim(), first.toString("base64url"));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test("loadMasterKey: refuses a file others can read, and a file of the wrong size", () => {
    const dataDir = mkdtempSync(join(tmpdir(), "tessera-mk-"));
    try {
      const path = join(dataDir, MASTER_KEY_FILE);
      writeFileSync(path, `${randomBytes(32).toString("base64url")}\n`, { mode: 0o600 });
      chmodSync(path, 0o640);
      assert.throws(() => loadMasterKey({ masterKey: undefined, dataDir }), /chmod 600/);
      writeFileSync(path, "c2hvcnQ\n");
      chmodSync(path, 0o600);
      assert.throws(() => loadMasterKey({ masterKey: undefined, dataDir }), /32 bytes/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test("loadMasterKey: TESSERA_MASTER_KEY wins and writes no file; a wrong length is refused", () => {
    const dataDir = mkdtempSync(join(tmpdir(), "tessera-mk-"));
    try {
      const given = randomBytes(32);
      assert.deepEqual(loadMasterKey({ masterKey: given.toString("base64url"), dataDir }), given);
      assert.equal(existsSync(join(dataDir, MASTER_KEY_FILE)), false);
      assert.throws(() => loadMasterKey({ masterKey: randomBytes(16).toString("base64url"), dataDir }), /TESSERA_MASTER_KEY/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("Gate", () => {
  /** A task the test finishes by hand. */
  function manual() {
    let finish!: () => void;
    let fail!: (error: Error) => void;
    const done = new Promise<void>((resolve, reject) => { finish = resolve; fail = reject; });
    return { task: () => done, finish, fail };
  }
  const tick = () => new Promise((resolve) => setImmediate(resolve));

  test("at most `limit` tasks run at once; the rest wait, in order", async () => {
    const gate = new Gate(2);
    const tasks = Array.from({ length: 5 }, manual);
    const started: number[] = [];
    const runs = tasks.map((t, i) => gate.run(() => { started.push(i); return t.task(); }));
    await tick();
    assert.deepEqual(started, [0, 1]);
    assert.equal(gate.running, 2);
    assert.equal(gate.waiting, 3);
    tasks[1]!.finish();
    await tick();
    assert.deepEqual(started, [0, 1, 2]);
    assert.equal(gate.running, 2);
    tasks[0]!.finish();
    tasks[2]!.finish();
    await tick();
    assert.deepEqual(started, [0, 1, 2, 3, 4]);
    assert.equal(gate.waiting, 0);
    tasks[3]!.finish();
    tasks[4]!.finish();
    await Promise.all(runs);
    assert.equal(gate.running, 0);
  });

  test("a failing task frees its slot and passes its error on", async () => {
    const gate = new Gate(1);
    const first = manual();
    const failing = gate.run(first.task);
    const second = gate.run(async () => "second ran");
    first.fail(new Error("boom"));
    await assert.rejects(failing, /boom/);
    assert.equal(await second, "second ran");
    assert.equal(gate.running, 0);
  });

  test("a task that throws synchronously frees its slot too", async () => {
    const gate = new Gate(1);
    await assert.rejects(gate.run(() => { throw new Error("sync"); }), /sync/);
    assert.equal(gate.running, 0);
    assert.equal(await gate.run(async () => 1), 1);
  });

  test("a newcomer cannot overtake a woken waiter: the limit holds when a slot is handed over", async () => {
    const gate = new Gate(1);
    let most = 0;
    const observed = async () => {
      most = Math.max(most, gate.running);
      await tick();
    };
    const first = manual();
    const a = gate.run(first.task);
    const b = gate.run(observed); // waits for a
    first.finish();
    // Queued before b's wake-up runs: a caller arriving in the same tick as the release.
    let c: Promise<void> | undefined;
    queueMicrotask(() => { c = gate.run(observed); });
    await a;
    await b;
    await c;
    assert.equal(most, 1, "two tasks ran at once through a gate of 1");
  });

  test("property: under random arrival and completion, running never exceeds the limit", async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 4 }), fc.array(fc.nat(3), { minLength: 1, maxLength: 25 }), async (limit, delays) => {
      const gate = new Gate(limit);
      let most = 0;
      await Promise.all(delays.map(async (delay, i) => {
        for (let k = 0; k < i % 3; k++) await Promise.resolve();
        await gate.run(async () => {
          most = Math.max(most, gate.running);
          for (let k = 0; k < delay; k++) await Promise.resolve();
        });
      }));
      assert.ok(most <= limit, `${most} > ${limit}`);
      assert.equal(gate.running, 0);
    }), { numRuns: 200 });
  });

  test("the limit must be a positive integer", () => {
    for (const limit of [0, -1, 1.5, Number.NaN]) assert.throws(() => new Gate(limit), TypeError);
  });
});

describe("TesseraError", () => {
  test("carries no stack frames (a refusal, not a fault), and leaves every other error's stack as it was", () => {
    const limit = Error.stackTraceLimit;
    const cause = new Error("the store failed");
    const refusal = new TesseraError("temporarily_unavailable", "Try again shortly.", { cause, retryAfter: 1 });
    assert.equal(refusal.stack, "TesseraError: Try again shortly.");
    assert.deepEqual([refusal.code, refusal.status, refusal.retryAfter, refusal.cause], ["temporarily_unavailable", 503, 1, cause]);
    assert.ok(refusal instanceof Error);
    assert.equal(Error.stackTraceLimit, limit, "the global limit is restored");
    assert.match(cause.stack ?? "", /\n\s+at /, "the cause keeps its frames");
    assert.match(new Error("after").stack ?? "", /\n\s+at /, "errors made afterwards have frames");
  });
});
