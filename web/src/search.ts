// The search box with autocomplete, on the ARIA 1.2 combobox pattern: the input keeps focus,
// arrows move through the suggestions (aria-activedescendant), Enter takes the highlighted one
// (or the first, once the answer for what was typed is in), Escape closes the list and then
// clears the box. Each suggestion shows the label, the type and why it matched.

import { api } from "./api";
import { h, uid } from "./dom";
import { typeLabelFromIris } from "./format";
import type { SearchHit } from "./types";

export interface AutocompleteOptions {
  input: HTMLInputElement;
  /** Where the list goes; the input's parent by default. */
  container?: HTMLElement;
  onSelect: (hit: SearchHit) => void;
  limit?: number;
  /** Submitting the input's form chooses a suggestion (the header's search box). */
  bindForm?: boolean;
  /** When this says the input already holds a choice, Enter on a closed list submits the form. */
  isSettled?: () => boolean;
}

export class Autocomplete {
  readonly input: HTMLInputElement;
  private list: HTMLUListElement;
  private status: HTMLElement;
  private hits: SearchHit[] = [];
  private active = -1;
  private timer: number | undefined;
  private controller: AbortController | null = null;
  private pending: Promise<void> | null = null;
  private answeredFor = "";
  private options: AutocompleteOptions;

  constructor(options: AutocompleteOptions) {
    this.options = options;
    const input = (this.input = options.input);
    const listId = uid("suggestions");
    this.list = h("ul", { id: listId, role: "listbox", class: "suggestions", hidden: true, "aria-label": "Suggestions" });
    this.status = h("div", { class: "visually-hidden", role: "status", "aria-live": "polite" });
    const container = options.container ?? (input.parentElement as HTMLElement);
    container.classList.add("combo");
    container.append(this.list, this.status);

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);
    input.autocomplete = "off";

    input.addEventListener("input", () => this.schedule());
    input.addEventListener("keydown", (e) => this.onKey(e));
    input.addEventListener("blur", () => setTimeout(() => this.close(), 150));
    input.addEventListener("focus", () => {
      if (this.hits.length && input.value.trim() === this.answeredFor) this.open();
    });
    if (options.bindForm) {
      input.form?.addEventListener("submit", (e) => {
        e.preventDefault();
        void this.choose();
      });
    }
  }

  private schedule(): void {
    window.clearTimeout(this.timer);
    const q = this.input.value.trim();
    if (!q) {
      this.controller?.abort();
      this.pending = null;
      this.hits = [];
      this.answeredFor = "";
      this.close();
      return;
    }
    this.pending = new Promise<void>((resolve) => {
      this.timer = window.setTimeout(() => void this.fetch(q).finally(resolve), 120);
    });
  }

  private async fetch(q: string): Promise<void> {
    this.controller?.abort();
    const controller = (this.controller = new AbortController());
    try {
      const result = await api.search(q, this.options.limit ?? 8, controller.signal);
      if (controller.signal.aborted || this.input.value.trim() !== q) return;
      this.hits = result.hits;
      this.answeredFor = q;
      this.active = -1;
      this.draw(result.total);
    } catch (e) {
      if ((e as Error).name === "AbortError") return;
      this.hits = [];
      this.answeredFor = q;
      this.list.replaceChildren(h("li", { class: "suggestion-empty", role: "presentation" }, `Search failed: ${(e as Error).message}`));
      this.open();
    }
  }

  private draw(total: number): void {
    const listId = this.list.id;
    this.list.replaceChildren(
      ...this.hits.map((hit, i) =>
        h(
          "li",
          {
            id: `${listId}-${i}`,
            role: "option",
            class: "suggestion",
            "aria-selected": "false",
            "data-id": hit.id,
            onmousedown: ((e: Event) => e.preventDefault()) as EventListener,
            onclick: (() => void this.pick(i)) as EventListener,
          },
          h("span", { class: "suggestion-label" }, hit.label),
          h("span", { class: "suggestion-type" }, typeLabelFromIris(hit.types)),
          h("span", { class: "suggestion-why" }, hit.matched),
        ),
      ),
    );
    if (!this.hits.length) {
      this.list.append(h("li", { class: "suggestion-empty", role: "presentation" }, "Nothing matches."));
    }
    this.status.textContent = this.hits.length
      ? `${this.hits.length} suggestions${total > this.hits.length ? ` of ${total}` : ""}; arrows to move, Enter to open.`
      : "No suggestions.";
    this.open();
  }

  private open(): void {
    this.list.hidden = false;
    this.input.setAttribute("aria-expanded", "true");
  }

  close(): void {
    this.list.hidden = true;
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
    this.active = -1;
    this.highlight();
  }

  private highlight(): void {
    const items = this.list.querySelectorAll<HTMLElement>("[role=option]");
    items.forEach((item, i) => item.setAttribute("aria-selected", String(i === this.active)));
    const item = items[this.active];
    if (item) {
      this.input.setAttribute("aria-activedescendant", item.id);
      item.scrollIntoView({ block: "nearest" });
    } else this.input.removeAttribute("aria-activedescendant");
  }

  private move(delta: number): void {
    if (!this.hits.length) return;
    this.open();
    const n = this.hits.length;
    this.active = this.active < 0 ? (delta > 0 ? 0 : n - 1) : (this.active + delta + n) % n;
    this.highlight();
  }

  private onKey(e: KeyboardEvent): void {
    switch (e.key) {
      case "ArrowDown":
        e.preventDefault();
        if (this.list.hidden && this.input.value.trim() && this.answeredFor !== this.input.value.trim()) this.schedule();
        this.move(1);
        break;
      case "ArrowUp":
        e.preventDefault();
        this.move(-1);
        break;
      case "Enter":
        e.preventDefault();
        if (this.list.hidden && this.options.isSettled?.()) this.input.form?.requestSubmit();
        else void this.choose();
        break;
      case "Escape":
        if (!this.list.hidden) {
          e.preventDefault();
          this.close();
        } else if (this.input.value) {
          e.preventDefault();
          this.input.value = "";
          this.schedule();
        }
        break;
      case "Home":
      case "End":
        if (!this.list.hidden && this.active >= 0) {
          e.preventDefault();
          this.active = e.key === "Home" ? 0 : this.hits.length - 1;
          this.highlight();
        }
        break;
      case "Tab":
        this.close();
        break;
    }
  }

  /** Takes the highlighted suggestion, or the best one once the answer for the text is in. */
  async choose(): Promise<void> {
    const q = this.input.value.trim();
    if (!q) return;
    if (this.active >= 0 && this.answeredFor === q) return this.pick(this.active);
    if (this.answeredFor !== q) {
      if (!this.pending) this.schedule();
      await this.pending;
    }
    if (this.answeredFor === this.input.value.trim() && this.hits.length) this.pick(this.active >= 0 ? this.active : 0);
  }

  private pick(i: number): void {
    const hit = this.hits[i];
    if (!hit) return;
    this.close();
    this.options.onSelect(hit);
  }
}

/** A labelled entity picker (the network's focus, the two ends of a path). */
export function entityPicker(options: {
  label: string;
  name: string;
  value?: { id: string; label: string } | null;
  placeholder?: string;
  onSelect?: (hit: SearchHit) => void;
}): { element: HTMLElement; get: () => string; set: (id: string, label: string) => void; input: HTMLInputElement } {
  const inputId = uid(options.name);
  const input = h("input", {
    id: inputId,
    type: "text",
    name: options.name,
    placeholder: options.placeholder ?? "Type a name…",
    spellcheck: "false",
  }) as HTMLInputElement;
  let chosen = options.value?.id ?? "";
  if (options.value) input.value = options.value.label;
  input.dataset.id = chosen;
  const box = h("div", { class: "combo" }, input);
  new Autocomplete({
    input,
    container: box,
    isSettled: () => Boolean(chosen) || !input.value.trim(),
    onSelect: (hit) => {
      chosen = hit.id;
      input.value = hit.label;
      input.dataset.id = hit.id;
      options.onSelect?.(hit);
    },
  });
  input.addEventListener("input", () => {
    chosen = "";
    input.dataset.id = "";
  });
  const element = h("div", { class: "field" }, h("label", { for: inputId }, options.label), box);
  return {
    element,
    input,
    // An id typed by hand (e.g. `openai`) is taken as it is; the server says if it is unknown.
    get: () => chosen || input.value.trim(),
    set: (id, label) => {
      chosen = id;
      input.value = label;
      input.dataset.id = id;
    },
  };
}
