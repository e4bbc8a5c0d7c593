process.on("SIGTERM", () => process.exit(0));
await import("./bare-fastify.js");
