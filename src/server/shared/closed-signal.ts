import type { FastifyReply } from "fastify";

/**
 * An AbortSignal that fires when the client goes away before its answer is
 * sent (the socket closed), so the core can drop work still queued for it (a
 * password hash waiting for a slot). An answer already sent never aborts it.
 */
export function closedSignal(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  const response = reply.raw;
  if (response.destroyed && !response.writableFinished) controller.abort();
  else response.once("close", () => { if (!response.writableFinished) controller.abort(); });
  return controller.signal;
}
