/**
 * The foundation's benchmark (issue #2): /healthz, /userinfo, the refresh grant
 * and the password grant side by side, then /userinfo and /healthz while
 * sign-ins saturate the hashing pool, with the server's event-loop delay.
 */
import { measure, postJson, startBenchServer, table, type Measured } from "./lib.js";

interface Tokens {
  access_token: string;
  refresh_token: string;
}

export async function benchServer(): Promise<{ rows: Measured[]; eventLoop: { p50: number; p99: number; max: number }; ratios: Record<string, number> }> {
  const server = await startBenchServer();
  const rows: Measured[] = [];
  try {
    const password = "benchmark password";
    const users = 64;
    const sessions: Tokens[] = [];
    for (let i = 0; i < users; i++) {
      await postJson(`${server.url}/auth/register`, { username: `bench${i}`, password });
      sessions.push(await postJson<Tokens>(`${server.url}/oauth/token`, { grant_type: "password", username: `bench${i}`, password }));
    }
    const token = sessions[0]!.access_token;
    await measure("warm-up", { url: `${server.url}/healthz`, duration: 2 });

    const healthz = await measure("GET /healthz (baseline)", { url: `${server.url}/healthz` });
    rows.push(healthz);
    const userinfo = await measure("GET /userinfo (Bearer)", { url: `${server.url}/userinfo`, headers: { authorization: `Bearer ${token}` } });
    rows.push(userinfo);

    // A queue of live refresh tokens, one per session: a request takes one, and
    // its answer puts back the successor, so every request spends a current
    // token as a real client would. (autocannon resets per-connection context
    // after each request sequence, so the state lives here.)
    const pool = sessions.slice(0, 48).map((s) => s.refresh_token);
    const refresh = await measure("POST /oauth/token refresh_token (rotation)", {
      url: `${server.url}/oauth/token`,
      connections: 32,
      requests: [{
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        setupRequest: (req) => ({ ...req, body: `grant_type=refresh_token&refresh_token=${pool.shift() ?? "exhausted"}` }),
        onResponse: (status, body) => {
          if (status === 200) pool.push((JSON.parse(body) as Tokens).refresh_token);
        },
      }],
    });
    rows.push(refresh);

    const signInBody = JSON.stringify({ grant_type: "password", username: "bench1", password });
    const signIn = await measure("POST /oauth/token password (argon2id)", {
      url: `${server.url}/oauth/token`, method: "POST", connections: 8, headers: { "content-type": "application/json" }, body: signInBody,
    });
    rows.push(signIn);

    // Sign-ins saturate the hashing pool while we measure the cheap routes.
    server.resetEventLoopDelay();
    const background = measure("(background) password grant", {
      url: `${server.url}/oauth/token`, method: "POST", connections: 16, duration: 12, headers: { "content-type": "application/json" }, body: signInBody,
    });
    await new Promise((r) => setTimeout(r, 1000));
    const userinfoLoaded = await measure("GET /userinfo during sign-in load", { url: `${server.url}/userinfo`, headers: { authorization: `Bearer ${token}` } });
    const healthzLoaded = await measure("GET /healthz during sign-in load", { url: `${server.url}/healthz`, duration: 4 });
    const eventLoop = await server.eventLoopDelay();
    rows.push(userinfoLoaded, healthzLoaded, await background);

    const ratios = {
      userinfo_vs_healthz: round(userinfo.rps / healthz.rps),
      userinfo_loaded_vs_idle: round(userinfoLoaded.rps / userinfo.rps),
      refresh_rps: refresh.rps,
    };
    return { rows, eventLoop, ratios };
  } finally {
    await server.stop();
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await benchServer();
  console.log(table(result.rows));
  console.log("event loop during sign-in load (ms):", result.eventLoop);
  console.log("ratios:", result.ratios);
}
