/**
 * The security figures: the timing of an unknown user against a wrong password
 * (medians of 200 sign-ins each, interleaved, one connection, in one run; aim
 * under 5%), and the common-password list (build time, lookup time).
 */
import { performance } from "node:perf_hooks";
import { commonPasswords, isCommonPassword } from "../src/core/accounts/common-passwords.js";
import { postJson, startBenchServer } from "./lib.js";

export interface EnumerationTiming {
  samples: number;
  medianUnknownMs: number;
  medianWrongMs: number;
  differencePercent: number;
}

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return (sorted[Math.floor((sorted.length - 1) / 2)]! + sorted[Math.ceil((sorted.length - 1) / 2)]!) / 2;
};

export async function benchEnumeration(samples = 200): Promise<EnumerationTiming> {
  // Throttles off: 600 failed sign-ins from one address is the point here.
  const server = await startBenchServer({ TESSERA_THROTTLE_SIGNIN_ACCOUNT: "0", TESSERA_THROTTLE_SIGNIN_IP: "0" });
  try {
    const password = "benchmark pass phrase";
    await postJson(`${server.url}/auth/register`, { username: "known-user", password });
    const attempt = async (username: string, pw: string) => {
      const start = performance.now();
      const res = await fetch(`${server.url}/oauth/token`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ grant_type: "password", username, password: pw }) });
      await res.text();
      if (res.status !== 400) throw new Error(`expected 400, got ${res.status}`);
      return performance.now() - start;
    };
    for (let i = 0; i < 10; i++) await attempt("known-user", "warm up"); // JIT, the dummy hash
    const unknown: number[] = [];
    const wrong: number[] = [];
    for (let i = 0; i < samples; i++) {
      // Interleaved, so drift in machine load hits both series alike.
      unknown.push(await attempt(`nobody-${i}`, "wrong pass phrase"));
      wrong.push(await attempt("known-user", "wrong pass phrase"));
    }
    const u = median(unknown);
    const w = median(wrong);
    return { samples, medianUnknownMs: round(u), medianWrongMs: round(w), differencePercent: round((Math.abs(u - w) / Math.max(u, w)) * 100) };
  } finally {
    await server.stop();
  }
}

export function benchCommonPasswords(lookups = 1_000_000): { entries: number; buildMs: number; lookupMicros: number } {
  const start = performance.now();
  const entries = commonPasswords().size;
  const buildMs = performance.now() - start;
  const probes = ["correct horse battery staple", "password1", "Tr0ub4dor&3", "P@ssw0rd2024", "a long random phrase here", "qwertyuiop"];
  const t = performance.now();
  let found = 0;
  for (let i = 0; i < lookups; i++) if (isCommonPassword(probes[i % probes.length]!)) found++;
  const lookupMicros = ((performance.now() - t) * 1000) / lookups;
  if (found === 0) throw new Error("no probe matched");
  return { entries, buildMs: round(buildMs), lookupMicros: Math.round(lookupMicros * 1000) / 1000 };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log("common-password list:", benchCommonPasswords());
  console.log("enumeration timing:", await benchEnumeration());
}
