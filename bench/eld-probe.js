// Loaded with `node --import` into the benchmarked server (nothing else changes
// in that process): measures the event loop's delay between an "eld-reset" and
// an "eld-read" from the parent over IPC. Off unless asked, and it never holds
// the process open, so `tessera serve` stops on SIGTERM as it would alone.
import { monitorEventLoopDelay } from "node:perf_hooks";

if (process.send) {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  process.on("message", (message) => {
    if (message?.type === "eld-reset") {
      delay.reset();
      delay.enable();
    }
    if (message?.type === "eld-read") {
      delay.disable();
      process.send({ type: "eld", p50: delay.percentile(50) / 1e6, p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 });
    }
  });
  process.channel?.unref();
}
