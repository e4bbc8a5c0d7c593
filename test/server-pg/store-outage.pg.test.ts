// test/server/store-outage.test.ts again, on PostgreSQL: a fresh schema per server (test/helpers/pg-schema.ts).
process.env.TESSERA_TEST_STORE = "postgres";
await import("../server/store-outage.test.js");
