// The floor row of the server benchmark: a bare Fastify 5 app, default options
// (no logger, no hooks), answering GET /healthz with the same JSON as Tessera.
// Plain JavaScript run by plain node, so nothing but Fastify is in the process.
import Fastify from "fastify";

const app = Fastify();
app.get("/healthz", async () => ({ status: "ok" }));
await app.listen({ host: "127.0.0.1", port: Number(process.env.PORT) });
process.send?.({ type: "ready" });
process.channel?.unref();
