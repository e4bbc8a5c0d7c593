// The session state shared by both modes: held in memory, mirrored to the
// storage adapter, broadcast to the other tabs, and reported to listeners.
import { listeners } from "./events.js";
import { decodeJwt } from "./jwt.js";
import { createTabs, type TabMessage, type Tabs } from "./tabs.js";
import type { AccessTokenClaims, AuthChangeEvent, Session, TokenStorage } from "./types.js";

/** A change to report along with a new state. */
export type Change = Omit<AuthChangeEvent, "session">;

export interface Core {
  /** Settles once the stored session (if any) has been loaded. */
  readonly ready: Promise<void>;
  get(): Session | null;
  /** Replaces the session; `change` is reported and, with `share`, broadcast. Returns it with its claims. */
  set<S extends Session | null>(next: S, change?: Change, share?: boolean): Promise<S>;
  /** Re-reads a shared store, where another tab may have written. */
  reload(): Promise<void>;
  tabs: Tabs;
  onChange(fn: (event: AuthChangeEvent) => void): () => void;
  /** Reports a change that leaves the session as it is (a step-up challenge). */
  emit(change: Change): void;
}

/**
 * `restore` names a session the store does not hold but the environment does
 * (cookie mode: the browser's cookies), adopted when the store is empty.
 */
export function createCore(storage: TokenStorage, key: string, crossTab: boolean, restore?: () => Session | null): Core {
  const events = listeners<AuthChangeEvent>();
  let session: Session | null = null;

  // `mode` is derived too, so that a session stored before it existed still reads as one kind.
  const withClaims = (s: Session): Session => {
    if (!s.accessToken) return { ...s, mode: "cookie" } as Session;
    const claims = decodeJwt<AccessTokenClaims>(s.accessToken)?.claims;
    return claims ? { ...s, mode: "token", claims } : { ...s, mode: "token" };
  };
  const parse = (raw: string | null): Session | null => {
    try {
      const value: unknown = raw && JSON.parse(raw);
      return value && typeof value === "object" ? withClaims(value as Session) : null;
    } catch {
      return null;
    }
  };

  async function set<S extends Session | null>(next: S, change?: Change, share = true): Promise<S> {
    session = next && withClaims(next);
    // Tabs on a shared store leave the write to the tab that made the change:
    // a late echo could otherwise overwrite a newer rotation.
    if (share || !storage.shared) {
      if (next) {
        const { claims: _claims, ...stored } = next;
        await storage.setItem(key, JSON.stringify(stored));
      } else {
        await storage.removeItem(key);
      }
    }
    if (share && change) {
      tabs.post(
        next
          ? { type: "session", session: next, event: change.type === "SIGNED_IN" ? "SIGNED_IN" : "TOKEN_REFRESHED" }
          : { type: "ended", event: change.type === "SESSION_EXPIRED" ? "SESSION_EXPIRED" : "SIGNED_OUT", reason: change.reason },
      );
    }
    if (change) events.emit({ ...change, session });
    return session as S;
  }

  const fromPeer = (message: TabMessage) => {
    if (message.type === "session") {
      void set(message.session, { type: session ? message.event : "SIGNED_IN", reason: "other_tab" }, false);
    } else if (message.type === "ended" && session) {
      void set(null, { type: message.event, reason: "other_tab" }, false);
    }
  };
  const tabs = createTabs(key, crossTab, fromPeer);

  const ready = (async () => {
    // A store that cannot be read (storage disabled, a failing custom store)
    // means no saved session, not a client that rejects every call forever.
    const stored = parse(await Promise.resolve(storage.getItem(key)).catch(() => null)) ?? restore?.() ?? null;
    // A peer may have signed in while the store was being read.
    if (stored && !session) {
      session = stored;
      events.emit({ type: "SIGNED_IN", reason: "restored", session });
    }
  })();

  return {
    ready,
    get: () => session,
    set,
    tabs,
    onChange: events.add,
    emit: (change) => events.emit({ ...change, session }),
    async reload() {
      if (storage.shared) session = parse(await storage.getItem(key));
    },
  };
}
