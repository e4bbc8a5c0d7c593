/**
 * Logs the Redis link's state once per change (not once per failed
 * reconnection attempt, which ioredis makes every 2 s): an operator sees one
 * warning when Redis goes away and one line when it is back.
 */
import type { FastifyInstance } from "fastify";
import type { Tessera } from "../core/api.js";

export function logClusterState(app: FastifyInstance, tessera: Tessera): void {
  const link = tessera.operations.redisLink;
  if (!link) return;
  const down = "redis unreachable: serving from the store alone (revocations reach verifiers by polling, keys reload every minute)";
  if (link.state === "up") app.log.info({ channel: link.channel }, "redis connected");
  else app.log.warn(down);
  link.on("state", (state, error) => {
    if (state === "down") app.log.warn({ err: error }, down);
    else if (state === "up") app.log.info("redis reachable again: notices between instances resume");
  });
  tessera.operations.cluster?.on("warning", (error, what) => app.log.warn({ err: error }, what));
}
