// Small DOM helpers. Everything is built with createElement and textContent —
// never innerHTML — so that token contents and server strings cannot inject
// markup, and nothing needs an inline style under the page's strict CSP.

/** The element with this id; a missing one is a bug in index.html. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from index.html`);
  return element as T;
}

type Props = { class?: string; text?: string } & Record<string, string | undefined>;

/** Creates an element with attributes, a class, text, and children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined) continue;
    if (name === "class") element.className = value;
    else if (name === "text") element.textContent = value;
    else element.setAttribute(name, value);
  }
  element.append(...children);
  return element;
}

const SVG = "http://www.w3.org/2000/svg";

/** Creates an SVG element with attributes. */
export function svg(tag: string, attributes: Record<string, string | number> = {}, text?: string): SVGElement {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

/** A definition list from label/value pairs. */
export function fillList(list: HTMLElement, rows: [string, string | Node][]): void {
  list.replaceChildren(...rows.flatMap(([label, value]) => [h("dt", { text: label }), h("dd", {}, value)]));
}

/** `12:03:44.120` in local time. */
export function clockTime(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number, width = 2) => String(n).padStart(width, "0");
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** The first and last characters of a secret, enough to tell two apart. */
export function abbreviate(token: string, head = 10, tail = 6): string {
  return token.length <= head + tail + 1 ? token : `${token.slice(0, head)}…${token.slice(-tail)}`;
}

/** "in 4 min", "12 s ago": relative to now. */
export function relative(ms: number, now = Date.now()): string {
  const seconds = Math.round((ms - now) / 1000);
  const size = Math.abs(seconds);
  if (size < 2) return "just now";
  const text = size < 90 ? `${size} s` : size < 5400 ? `${Math.round(size / 60)} min` : size < 172_800 ? `${Math.round(size / 3600)} h` : `${Math.round(size / 86_400)} days`;
  return seconds >= 0 ? `in ${text}` : `${text} ago`;
}
