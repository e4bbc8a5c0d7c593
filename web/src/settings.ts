// The page's own preferences (storage mode, short-lived tokens), kept in
// localStorage so that a reload comes back in the same mode. No tokens here.

export type StorageChoice = "memory" | "localStorage" | "sessionStorage" | "cookie";

export interface Settings {
  storage: StorageChoice;
  demo: boolean;
}

const KEY = "tessera-demo:settings";
const CHOICES: StorageChoice[] = ["memory", "localStorage", "sessionStorage", "cookie"];

export const STORAGE_HELP: Record<StorageChoice, string> = {
  memory:
    "Tokens live in a JavaScript variable: nothing is written to disk and a reload signs you out. A script injected into the page (XSS) can still use them while it is open. Tabs opened at the same time share the session.",
  localStorage:
    "Survives reloads and is shared by every tab of this origin — and any script running on this origin (XSS) can read the refresh token and carry it away.",
  sessionStorage:
    "Survives reloads of this tab only and disappears when it closes; any script in the tab (XSS) can still read it.",
  cookie:
    "No token in the page at all: the session is an HttpOnly cookie that no script can read, so XSS cannot carry it away (an injected script can still make requests while the page is open). The price is CSRF, which the client answers by adding the X-CSRF-Token header on writes. Same site only.",
};

export function loadSettings(): Settings {
  try {
    const value = JSON.parse(localStorage.getItem(KEY) ?? "{}") as Partial<Settings>;
    return { storage: CHOICES.includes(value.storage as StorageChoice) ? (value.storage as StorageChoice) : "memory", demo: value.demo === true };
  } catch {
    return { storage: "memory", demo: false };
  }
}

export function saveSettings(settings: Settings): void {
  localStorage.setItem(KEY, JSON.stringify(settings));
}
