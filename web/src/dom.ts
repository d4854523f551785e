// A small element builder. Text from the server always goes in as text nodes, never as HTML.

export type Child = Node | string | number | null | undefined | false | Child[];
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs | null = null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [key, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) continue;
      if (key.startsWith("on") && typeof value === "function") {
        el.addEventListener(key.slice(2).toLowerCase(), value as EventListener);
      } else if (key === "class") {
        el.className = String(value);
      } else if (value === true) {
        el.setAttribute(key, "");
      } else {
        el.setAttribute(key, String(value));
      }
    }
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else if (child instanceof Node) parent.appendChild(child);
    else parent.appendChild(document.createTextNode(String(child)));
  }
}

/** Replaces an element's children, skipping the empty ones. */
export function replace(el: Element, ...children: Child[]): void {
  clear(el);
  append(el, children);
}

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

let counter = 0;
/** A document-unique id for label/aria wiring. */
export function uid(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** Says something to screen-reader users through the page's live region. */
export function announce(text: string): void {
  const region = document.getElementById("announcer");
  if (!region) return;
  region.textContent = "";
  // A fresh text node after a tick makes repeated messages heard again.
  setTimeout(() => (region.textContent = text), 50);
}

export function errorBox(error: unknown, what = "This"): HTMLElement {
  const message = error instanceof Error ? error.message : String(error);
  const status = (error as { status?: number }).status;
  const code = (error as { code?: string }).code;
  return h(
    "div",
    { class: "error-box", role: "alert" },
    h("strong", null, status === 404 ? `${what} is not in the graph.` : `${what} could not be loaded.`),
    " ",
    h("span", { class: "error-message" }, message),
    code ? h("code", { class: "error-code" }, ` ${status} ${code}`) : null,
  );
}
