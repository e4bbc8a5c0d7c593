// Cross-tab coordination. Tabs of one origin share one session: a refresh
// runs in one tab at a time (Web Locks, or announcements on a BroadcastChannel
// where locks are missing), and every sign-in, rotation and sign-out is
// broadcast so that the other tabs adopt it instead of spending the same
// refresh token again — which the server treats as reuse once its grace
// window has passed.
import type { Session } from "./types.js";

/** What tabs tell each other. */
export type TabMessage =
  | { type: "session"; session: Session; event: "SIGNED_IN" | "TOKEN_REFRESHED" }
  | { type: "ended"; event: "SIGNED_OUT" | "SESSION_EXPIRED"; reason: string }
  | { type: "busy" | "idle"; id: number };

export interface Tabs {
  /** Runs fn while no other tab runs it; `contended` says another tab went first. */
  exclusive<T>(fn: (contended: boolean) => Promise<T>): Promise<T>;
  /** Resolves at the next message from another tab (other than an announcement), or after `ms`. */
  settled(ms: number): Promise<void>;
  post(message: TabMessage): void;
  close(): void;
}

// Without locks, a tab that announced a refresh and then vanished (closed
// mid-request) must not block the others for long.
const BUSY_MS = 10_000;
// Without locks, two tabs may announce in the same instant: each waits this
// long for a rival's announcement, and the lower id goes first.
const CLAIM_MS = 30;

export function createTabs(name: string, enabled: boolean, onMessage: (message: TabMessage) => void): Tabs {
  const channel = enabled && typeof BroadcastChannel === "function" ? new BroadcastChannel(name) : null;
  // Node: an open channel would keep the process alive after the work is done.
  (channel as { unref?: () => void } | null)?.unref?.();
  const locks = enabled ? globalThis.navigator?.locks : undefined;
  const id = Math.random();
  const busyPeers = new Map<number, number>(); // peer id → announcement deadline
  let waiters: (() => void)[] = [];
  let claiming = false;
  let outranked = false;

  if (channel) {
    channel.onmessage = ({ data }: MessageEvent<TabMessage>) => {
      if (data.type === "busy") {
        busyPeers.set(data.id, Date.now() + BUSY_MS);
        if (claiming && data.id < id) outranked = true;
        return;
      }
      if (data.type === "idle") busyPeers.delete(data.id);
      else onMessage(data);
      const wake = waiters;
      waiters = [];
      for (const fn of wake) fn();
    };
  }

  const settled = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  const post = (message: TabMessage) => channel?.postMessage(message);
  const busyUntil = () => Math.max(0, ...busyPeers.values()) - Date.now();

  return {
    settled,
    post,
    close: () => channel?.close(),
    async exclusive(fn) {
      if (locks) {
        const free = await locks.request(name, { ifAvailable: true }, async (lock) => lock && { value: await fn(false) });
        return free ? free.value : locks.request(name, () => fn(true));
      }
      let contended = false;
      for (;;) {
        while (busyUntil() > 0) {
          contended = true;
          await settled(busyUntil());
        }
        claiming = true;
        outranked = false;
        post({ type: "busy", id });
        await new Promise((resolve) => setTimeout(resolve, CLAIM_MS));
        claiming = false;
        if (!outranked) break;
        post({ type: "idle", id }); // withdraw; the rival's announcement keeps this tab waiting
        contended = true;
      }
      try {
        return await fn(contended);
      } finally {
        post({ type: "idle", id });
      }
    },
  };
}
