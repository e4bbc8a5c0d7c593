/**
 * The server under benchmark, in its own process so the load generator does not
 * share its event loop. Reports event-loop delay to the parent over IPC.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { loadConfig } from "../src/core/config.js";
import { startServer } from "../src/server/start.js";

const config = loadConfig(process.env, { logLevel: "silent", sweepInterval: 0 });
const server = await startServer(config, {}, { logger: false });
const delay = monitorEventLoopDelay({ resolution: 1 });
delay.enable();

process.on("message", (message: { type: string }) => {
  if (message.type === "eld-reset") delay.reset();
  if (message.type === "eld-read") {
    process.send!({ type: "eld", p50: delay.percentile(50) / 1e6, p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 });
  }
  if (message.type === "stop") void server.close().then(() => process.exit(0));
});
process.send!({ type: "ready", url: server.url });
