/**
 * Type tests of tessera/client's sessions: checked by `tsc --noEmit` (npm run
 * lint); the runtime part only proves the file loads. Each `@ts-expect-error`
 * fails the type check if the error it expects ever goes away.
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import type { Session, TesseraClient } from "../../packages/client/src/index.js";

// Never called: these lines are for the type checker.
export async function typeChecks(auth: TesseraClient): Promise<void> {
  // @ts-expect-error getSession() is a Promise (storage may be async): it must be awaited
  void auth.getSession().mode;
  const session: Session | null = await auth.getSession();
  if (session?.mode === "token") {
    const token: string = session.accessToken; // narrowed: a token session has its access token
    void token;
    // @ts-expect-error a token session has no CSRF token
    const csrf: string = session.csrfToken;
    void csrf;
  }
  if (session?.mode === "cookie") {
    const csrf: string = session.csrfToken; // narrowed: a cookie session has its CSRF token
    void csrf;
    // @ts-expect-error a cookie session holds no token readable by scripts
    const token: string = session.accessToken;
    void token;
  }
  // Either side's fields read without narrowing, as possibly undefined.
  const scope: string | undefined = session?.scope;
  void scope;
  // @ts-expect-error the mode is one of two
  const other: Session = { mode: "neither", csrfToken: "x" };
  void other;
}

it("the type tests load (they are checked by tsc)", () => {
  assert.equal(typeof typeChecks, "function");
});
