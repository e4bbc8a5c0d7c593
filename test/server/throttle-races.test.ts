// Concurrent attempts at every throttle dimension, counters in this process's memory (suite: throttle-races.ts).
import { throttleRaces } from "./throttle-races.js";

throttleRaces(() => ({}));
