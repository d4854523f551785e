// How two entities connect: the shortest chains of facts between them, each step in words with
// the facts (certainty, amount, quote, source) behind it, and a link to see them on the network.

import { api, query } from "../api";
import { append, errorBox, h, replace } from "../dom";
import { amountView, certaintyBadge, entityLink, factDetails, factWhen, kindOf } from "../format";
import { navigate, setTitle, type RouteContext } from "../router";
import { entityPicker } from "../search";
import type { PathsView } from "../types";

export async function pathsView(ctx: RouteContext): Promise<void> {
  const from = ctx.query.get("from") ?? "";
  const to = ctx.query.get("to") ?? "";
  const maxLength = ctx.query.get("max_length") ?? "3";
  const relations = ctx.query.get("relations") ?? "";
  const certainty = ctx.query.get("certainty") ?? "";
  setTitle(from && to ? `Paths ${from} → ${to}` : "Paths");

  const fromPicker = entityPicker({ label: "From", name: "from", value: from ? { id: from, label: from } : null });
  const toPicker = entityPicker({ label: "To", name: "to", value: to ? { id: to, label: to } : null });
  const length = h(
    "select",
    { id: "max-length", name: "max_length" },
    ["1", "2", "3", "4"].map((n) => h("option", { value: n, selected: n === maxLength }, `${n} ${n === "1" ? "step" : "steps"}`)),
  ) as HTMLSelectElement;

  const form = h(
    "form",
    {
      class: "paths-form",
      onsubmit: ((e: Event) => {
        e.preventDefault();
        const a = fromPicker.get();
        const b = toPicker.get();
        if (!a || !b) {
          (a ? toPicker.input : fromPicker.input).focus();
          return;
        }
        navigate(`/paths${query({ from: a, to: b, max_length: length.value === "3" ? undefined : length.value, relations, certainty })}`);
      }) as EventListener,
    },
    fromPicker.element,
    h(
      "button",
      {
        type: "button",
        class: "swap",
        "aria-label": "Swap from and to",
        title: "Swap from and to",
        onclick: (() => {
          const a = { id: fromPicker.get(), label: fromPicker.input.value };
          const b = { id: toPicker.get(), label: toPicker.input.value };
          fromPicker.set(b.id, b.label);
          toPicker.set(a.id, a.label);
        }) as EventListener,
      },
      "⇄",
    ),
    toPicker.element,
    h("div", { class: "field" }, h("label", { for: "max-length" }, "At most"), length),
    h("button", { type: "submit", class: "primary" }, "Find connections"),
  );

  const results = h("div", { class: "paths-results", "aria-live": "polite" });
  append(ctx.root, [
    h("h1", null, "How are two entities connected?"),
    h("p", { class: "lede" }, "The shortest chains of deals and relationships between them, strongest first."),
    form,
    relations || certainty
      ? h("p", { class: "note" }, "Following only ", [relations && `kinds: ${relations}`, certainty && `certainty: ${certainty}`].filter(Boolean).join("; "), ". ", h("a", { href: `/paths${query({ from, to, max_length: maxLength === "3" ? undefined : maxLength })}` }, "Follow everything"))
      : null,
    results,
  ]);

  if (!from || !to) {
    if (from) {
      api.entity(from, { limit: 1 }, ctx.signal).then((e) => fromPicker.set(from, e.label), () => {});
      toPicker.input.focus();
    }
    results.append(
      h("p", { class: "muted" }, "Pick two entities, for example ", h("a", { href: "/paths?from=microsoft&to=coreweave" }, "Microsoft and CoreWeave"), "."),
    );
    return;
  }

  results.append(h("p", { class: "loading" }, "Looking for connections…"));
  let view: PathsView;
  try {
    view = await api.paths({ from, to, max_length: maxLength, relations, certainty }, ctx.signal);
  } catch (e) {
    if ((e as Error).name === "AbortError") throw e;
    replace(results, errorBox(e, "A connection"));
    return;
  }
  fromPicker.set(view.from.id ?? from, view.from.label);
  toPicker.set(view.to.id ?? to, view.to.label);
  setTitle(`${view.from.label} → ${view.to.label}`);

  const networkHref = `/network${query({ focus: from, from, to, relations, certainty })}`;
  if (!view.paths.length) {
    replace(results, 
      h(
        "p",
        { class: "empty" },
        `No connection between ${view.from.label} and ${view.to.label} within ${view.max_length} steps.`,
        view.max_length < 4 ? [" ", h("a", { href: `/paths${query({ from, to, max_length: 4, relations, certainty })}` }, "Look up to 4 steps")] : null,
      ),
    );
    return;
  }

  replace(results, 
    h(
      "h2",
      null,
      `${view.paths_total} ${view.paths_total === 1 ? "connection" : "connections"} of ${view.length} ${view.length === 1 ? "step" : "steps"}`,
      view.truncated ? ` (the ${view.paths.length} strongest shown)` : "",
    ),
    h("p", null, h("a", { class: "button", href: networkHref }, "Show on the network")),
    h(
      "ol",
      { class: "paths" },
      view.paths.map((path, i) =>
        h(
          "li",
          { class: "path" },
          h("h3", { class: "path-sentence" }, path.sentence),
          h("p", { class: "path-nodes" }, path.nodes.map((n, j) => [j ? h("span", { class: "arrow", "aria-hidden": "true" }, " → ") : null, entityLink(n)])),
          h(
            "ol",
            { class: "steps" },
            path.steps.map((step) =>
              h(
                "li",
                { class: "step" },
                path.steps.length > 1 || step.sentences.length > 1 ? h("p", { class: "step-sentence" }, step.sentences.join("; ")) : null,
                h(
                  "ul",
                  { class: "step-facts" },
                  step.facts.map((f) =>
                    h("li", null, h("span", { class: "kind" }, kindOf(f)), " ", certaintyBadge(f.certainty), " ", amountView(f.amount), factWhen(f) ? ` ${factWhen(f)} ` : " ", factDetails(f, i === 0 && view.paths.length === 1)),
                  ),
                  step.facts_total > step.facts.length ? h("li", { class: "muted" }, `and ${step.facts_total - step.facts.length} more facts`) : null,
                ),
              ),
            ),
          ),
        ),
      ),
    ),
  );
}
