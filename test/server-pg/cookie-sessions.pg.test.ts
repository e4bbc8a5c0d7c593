// test/server/cookie-sessions.test.ts again, on PostgreSQL: a fresh schema per server (test/helpers/pg-schema.ts).
process.env.TESSERA_TEST_STORE = "postgres";
await import("../server/cookie-sessions.test.js");
