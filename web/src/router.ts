// The UI's routes, on real paths through the history API: every entity page and view has its own
// URL, links are ordinary <a href> that the router takes over for same-origin UI paths, and the
// back button walks the history. The server answers index.html for each of these paths.

import { announce, clear, errorBox, h } from "./dom";

export interface RouteContext {
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  root: HTMLElement;
  /** Aborted when the user leaves the view: pending requests stop, late answers are dropped. */
  signal: AbortSignal;
}

/** A view draws itself into ctx.root and may give back a function that tears it down. */
export type View = (ctx: RouteContext) => Promise<void | (() => void)> | void | (() => void);

interface Route {
  pattern: RegExp;
  keys: string[];
  nav?: string;
  load: () => Promise<View>;
}

const routes: Route[] = [];

export function route(path: string, load: () => Promise<View>, nav?: string): void {
  const keys: string[] = [];
  const pattern = new RegExp(
    "^" +
      path.replace(/\/:(\w+)/g, (_, key: string) => {
        keys.push(key);
        return "/([^/]+)";
      }) +
      "/?$",
  );
  routes.push({ pattern, keys, nav, load });
}

/** Whether a same-origin path is one of the UI's (and not the API, the endpoint or a file). */
export function isUiPath(pathname: string): boolean {
  return routes.some((r) => r.pattern.test(pathname));
}

let current: { dispose?: () => void; controller: AbortController } | null = null;
let renderCount = 0;
let notFound: View = (ctx) => {
  ctx.root.append(h("h1", null, "Page not found"));
};

export function setNotFound(view: View): void {
  notFound = view;
}

export function setTitle(text: string): void {
  document.title = text ? `${text} · dealgraph` : "dealgraph";
}

export function navigate(url: string, options: { replace?: boolean } = {}): void {
  const target = new URL(url, location.href);
  if (target.origin !== location.origin) {
    location.href = target.href;
    return;
  }
  const same = target.pathname + target.search === location.pathname + location.search;
  if (options.replace || same) history.replaceState(null, "", target.pathname + target.search + target.hash);
  else history.pushState(null, "", target.pathname + target.search + target.hash);
  void render({ focus: true, scroll: !same });
}

/**
 * Changes the query string of the current view without drawing it again (a view that already
 * shows the new state, such as the network after a filter change). Back still works: popstate
 * draws the view from the URL.
 */
export function setQuery(params: Record<string, string | string[] | undefined | null>, options: { replace?: boolean } = {}): void {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === "") continue;
    if (Array.isArray(value)) {
      if (value.length) search.set(key, value.join(","));
    } else search.set(key, value);
  }
  const text = search.toString().replace(/%2C/gi, ",");
  const url = location.pathname + (text ? `?${text}` : "");
  if (url === location.pathname + location.search) return;
  if (options.replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
}

export async function render(options: { focus?: boolean; scroll?: boolean } = {}): Promise<void> {
  const root = document.getElementById("main") as HTMLElement;
  const path = location.pathname;

  // /id/X is an entity's Linked Data IRI; the server redirects browsers, but a link followed
  // inside the app lands here first.
  const linkedData = /^\/id\/([^/]+)\/?$/.exec(path);
  if (linkedData) {
    history.replaceState(null, "", `/entity/${linkedData[1]}${location.search}`);
    return render(options);
  }

  if (current) {
    current.controller.abort();
    try {
      current.dispose?.();
    } catch (e) {
      console.error(e);
    }
  }
  const controller = new AbortController();
  const mine = { controller } as { dispose?: () => void; controller: AbortController };
  current = mine;
  const count = ++renderCount;

  let view: View = notFound;
  let params: Record<string, string> = {};
  let nav: string | undefined;
  for (const r of routes) {
    const m = r.pattern.exec(path);
    if (m) {
      params = Object.fromEntries(r.keys.map((k, i) => [k, decodeURIComponent(m[i + 1])]));
      nav = r.nav;
      try {
        view = await r.load();
      } catch (e) {
        view = (ctx) => {
          ctx.root.append(errorBox(e, "This view"));
        };
      }
      break;
    }
  }
  if (count !== renderCount) return; // a later navigation won

  for (const link of document.querySelectorAll<HTMLAnchorElement>("[data-nav]")) {
    if (link.dataset.nav === nav) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }

  clear(root);
  root.dataset.view = nav ?? "other";
  root.setAttribute("aria-busy", "true");
  if (options.scroll) window.scrollTo(0, 0);
  try {
    const dispose = await view({ path, params, query: new URLSearchParams(location.search), root, signal: controller.signal });
    if (typeof dispose === "function") {
      if (current === mine) mine.dispose = dispose;
      else dispose();
    }
  } catch (e) {
    if ((e as Error).name !== "AbortError" && current === mine) {
      console.error(e);
      root.append(errorBox(e));
    }
  } finally {
    if (current === mine) root.removeAttribute("aria-busy");
  }
  if (current !== mine) return;
  if (options.focus) {
    const heading = root.querySelector<HTMLElement>("h1");
    if (heading) {
      heading.setAttribute("tabindex", "-1");
      heading.focus({ preventScroll: true });
    }
    announce(document.title);
  }
}

/** Takes over clicks on same-origin links to UI paths, and the back and forward buttons. */
export function start(): void {
  document.addEventListener("click", (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const a = (event.target as Element | null)?.closest?.("a");
    if (!a || !a.href || a.hasAttribute("download") || (a.target && a.target !== "_self")) return;
    const url = new URL(a.href);
    if (url.origin !== location.origin || !isUiPath(url.pathname)) return;
    if (url.pathname === location.pathname && url.search === location.search && url.hash) return; // in-page anchor
    event.preventDefault();
    navigate(url.pathname + url.search + url.hash);
  });
  window.addEventListener("popstate", () => void render({ focus: true }));
  void render();
}
