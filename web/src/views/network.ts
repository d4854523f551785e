// The network around an entity. Everything the view shows is in its URL: the focus, depth,
// filters (relation kinds, date range, certainty), the nodes expanded by clicking them, and the two
// ends of a highlighted path. A click on a node expands it; the side panel tells what a node or
// edge is and lists every node as buttons for keyboard users.

import { api, query, saveBlob } from "../api";
import { announce, errorBox, h, replace, uid } from "../dom";
import { certaintyBadge, CERTAINTIES, entityPath, formatDate, idFromIri } from "../format";
import { createGraph, edgeElement, edgeId, layout, legend, nodeElement, readableHubs, type Core } from "../graph";
import { navigate, setQuery, setTitle, type RouteContext } from "../router";
import { entityPicker } from "../search";
import type { Fact, GraphView, PathsView } from "../types";

interface State {
  focus: string;
  depth: string;
  limit: string;
  relations: string[];
  certainty: string[];
  since: string;
  until: string;
  from: string;
  to: string;
  expand: string[];
}

const list = (v: string | null) => (v ? v.split(",").map((s) => s.trim()).filter(Boolean) : []);

function readState(q: URLSearchParams): State {
  const from = q.get("from") ?? "";
  return {
    focus: q.get("focus") ?? from,
    depth: q.get("depth") ?? "1",
    limit: q.get("limit") ?? "",
    relations: list(q.get("relations")),
    certainty: list(q.get("certainty")),
    since: q.get("since") ?? "",
    until: q.get("until") ?? "",
    from,
    to: q.get("to") ?? "",
    expand: list(q.get("expand")),
  };
}

function stateQuery(s: State): Record<string, string | string[]> {
  return {
    focus: s.focus,
    depth: s.depth === "1" ? "" : s.depth,
    limit: s.limit,
    relations: s.relations,
    since: s.since,
    until: s.until,
    certainty: s.certainty,
    from: s.from,
    to: s.to,
    expand: s.expand,
  };
}

function filterParams(s: State) {
  return { relations: s.relations, certainty: s.certainty, since: s.since, until: s.until };
}

export async function networkView(ctx: RouteContext): Promise<() => void> {
  const state = readState(ctx.query);
  setTitle(state.focus ? `Network: ${state.focus}` : "Network");

  const title = h("h1", null, state.focus ? `The network around ${state.focus}` : "The network");
  const status = h("p", { class: "net-status", role: "status" }, state.focus ? "Loading the network…" : "");
  const container = h("div", {
    id: "cy",
    class: "cy",
    role: "img",
    "aria-label": "Network graph; the panel beside it lists every node as a button",
  });
  const details = h("div", { class: "net-details-body" }, h("p", { class: "muted" }, "Click a node to expand it and see what it is; click an edge for the fact behind it."));
  const legendBox = h("div", { class: "net-legend" });
  const nodeList = h("div", { class: "net-nodes" });
  const pathBox = h("div", { class: "net-path-result", "aria-live": "polite" });

  // --- the controls ---------------------------------------------------------------------
  const focusPicker = entityPicker({
    label: "Focus",
    name: "focus",
    value: state.focus ? { id: state.focus, label: state.focus } : null,
    onSelect: (hit) => navigate(`/network?focus=${encodeURIComponent(hit.id)}`),
  });
  const depth = h("select", { id: "net-depth" }, ["1", "2", "3"].map((d) => h("option", { value: d, selected: d === state.depth }, `${d} ${d === "1" ? "hop" : "hops"}`))) as HTMLSelectElement;
  const limit = h(
    "select",
    { id: "net-limit" },
    ["", "300", "600", "1000"].map((l) => h("option", { value: l, selected: l === state.limit }, l ? `${l} nodes` : "150 nodes")),
  ) as HTMLSelectElement;
  const since = h("input", { id: "net-since", type: "text", placeholder: "YYYY", value: state.since, size: 10, pattern: "\\d{4}(-\\d{2}(-\\d{2})?)?", title: "YYYY, YYYY-MM or YYYY-MM-DD" }) as HTMLInputElement;
  const until = h("input", { id: "net-until", type: "text", placeholder: "YYYY", value: state.until, size: 10, pattern: "\\d{4}(-\\d{2}(-\\d{2})?)?", title: "YYYY, YYYY-MM or YYYY-MM-DD" }) as HTMLInputElement;
  const certaintyBoxes = CERTAINTIES.map((c) => {
    const id = uid("cert");
    const box = h("input", { type: "checkbox", id, value: c.label, checked: state.certainty.includes(c.label) }) as HTMLInputElement;
    return { box, element: h("li", null, box, h("label", { for: id }, " ", certaintyBadge({ iri: "", label: c.label }))) };
  });
  const relationList = h("ul", { class: "plain checks" }, h("li", { class: "muted" }, "Loading kinds…"));
  let relationBoxes: HTMLInputElement[] = [];

  const readControls = (): State => ({
    ...state,
    focus: focusPicker.get() || state.focus,
    depth: depth.value,
    limit: limit.value,
    since: since.value.trim(),
    until: until.value.trim(),
    certainty: certaintyBoxes.filter((c) => c.box.checked).map((c) => c.box.value),
    relations: relationBoxes.filter((b) => b.checked).map((b) => b.value),
  });

  const filterForm = h(
    "form",
    {
      class: "net-form",
      "aria-label": "Focus and filters",
      onsubmit: ((e: Event) => {
        e.preventDefault();
        const next = readControls();
        // Another focus or depth starts over; filters keep the expanded nodes.
        if (next.focus !== state.focus || next.depth !== state.depth) next.expand = [];
        navigate(`/network${query(clean(stateQuery(next)))}`);
      }) as EventListener,
    },
    focusPicker.element,
    h("div", { class: "field-row" }, h("div", { class: "field" }, h("label", { for: "net-depth" }, "Depth"), depth), h("div", { class: "field" }, h("label", { for: "net-limit" }, "At most"), limit)),
    h("div", { class: "field-row" }, h("div", { class: "field" }, h("label", { for: "net-since" }, "Since"), since), h("div", { class: "field" }, h("label", { for: "net-until" }, "Until"), until)),
    h("fieldset", null, h("legend", null, "Certainty (none ticked: all)"), h("ul", { class: "plain checks" }, certaintyBoxes.map((c) => c.element))),
    h("details", { class: "relations-filter", open: state.relations.length > 0 }, h("summary", null, `Kinds of fact${state.relations.length ? ` (${state.relations.length} chosen)` : " (all)"}`), relationList),
    h("div", { class: "buttons" }, h("button", { type: "submit", class: "primary" }, "Apply"), h("a", { href: state.focus ? `/network?focus=${encodeURIComponent(state.focus)}` : "/network" }, "Reset")),
  );

  const fromPicker = entityPicker({ label: "Path from", name: "from", value: state.from ? { id: state.from, label: state.from } : null });
  const toPicker = entityPicker({ label: "to", name: "to", value: state.to ? { id: state.to, label: state.to } : null });
  const pathForm = h(
    "form",
    {
      class: "net-form",
      "aria-label": "Path between two entities",
      onsubmit: ((e: Event) => {
        e.preventDefault();
        const next = readControlsKeepFilters();
        next.from = fromPicker.get();
        next.to = toPicker.get();
        if (!next.from || !next.to) {
          (next.from ? toPicker.input : fromPicker.input).focus();
          return;
        }
        if (!next.focus) next.focus = next.from;
        navigate(`/network${query(clean(stateQuery(next)))}`);
      }) as EventListener,
    },
    h("h2", { class: "h3" }, "Path between two entities"),
    fromPicker.element,
    toPicker.element,
    h(
      "div",
      { class: "buttons" },
      h("button", { type: "submit", class: "primary", id: "find-path" }, "Highlight path"),
      state.from || state.to ? h("a", { href: `/network${query(clean(stateQuery({ ...state, from: "", to: "" })))}` }, "Clear path") : null,
    ),
    pathBox,
  );
  const readControlsKeepFilters = (): State => ({ ...state });

  const toolbar = h("div", { class: "net-toolbar", role: "toolbar", "aria-label": "Graph tools" });

  ctx.root.append(
    title,
    h(
      "div",
      { class: "network-layout" },
      h("aside", { class: "net-controls", "aria-label": "Network controls" }, filterForm, pathForm),
      h("div", { class: "net-main" }, toolbar, container, status),
      h(
        "aside",
        { class: "net-side", "aria-label": "Selection and nodes" },
        h("section", { class: "net-details", "aria-labelledby": "net-details-h" }, h("h2", { id: "net-details-h", class: "h3" }, "Selection"), details),
        legendBox,
        nodeList,
      ),
    ),
  );

  // The relation kinds come from the statistics, so that a kind filtered out can be ticked back.
  api.stats(ctx.signal).then(
    (s) => {
      relationBoxes = [];
      relationList.replaceChildren(
        ...s.relations.map((r) => {
          const local = r.iri.replace(/.*#/, "");
          const id = uid("rel");
          const box = h("input", { type: "checkbox", id, value: local, checked: state.relations.includes(local) }) as HTMLInputElement;
          relationBoxes.push(box);
          return h("li", null, box, h("label", { for: id }, ` ${r.label} (${r.count})`));
        }),
      );
    },
    () => relationList.replaceChildren(h("li", { class: "muted" }, "The kinds of fact could not be loaded.")),
  );

  if (!state.focus) {
    status.textContent = "";
    container.replaceWith(
      h(
        "div",
        { class: "empty-graph" },
        h("p", null, "Choose an entity to centre the network on, for example ", h("a", { href: "/network?focus=coreweave" }, "CoreWeave"), ", ", h("a", { href: "/network?focus=openai" }, "OpenAI"), " or ", h("a", { href: "/network?focus=microsoft" }, "Microsoft"), "."),
      ),
    );
    focusPicker.input.focus();
    return () => {};
  }

  // --- the graph ---------------------------------------------------------------------------
  let first: GraphView;
  try {
    first = await api.graph({ focus: state.focus, depth: state.depth, limit: state.limit, ...filterParams(state) }, ctx.signal);
  } catch (e) {
    if ((e as Error).name === "AbortError") throw e;
    status.replaceChildren(errorBox(e, `The network around “${state.focus}”`));
    setTitle("Network: error");
    return () => {};
  }
  if (ctx.signal.aborted) return () => {};

  const focusIri = first.focus.iri;
  title.textContent = `The network around ${first.focus.label}`;
  setTitle(`Network: ${first.focus.label}`);
  focusPicker.set(first.focus.id ?? state.focus, first.focus.label);

  const cy: Core = createGraph(container, [...first.nodes.map((n) => nodeElement(n)), ...first.edges.map(edgeElement)]);
  // A handle for the end-to-end tests and for debugging from the console.
  (window as unknown as { __dealgraphCy?: Core }).__dealgraphCy = cy;
  cy.getElementById(focusIri).addClass("focus");
  let truncated = first.truncated;
  const expanded = new Set<string>();
  const markHubs = readableHubs(cy);

  const describe = () => {
    const n = cy.nodes().length;
    const m = cy.edges().length;
    container.dataset.nodes = String(n);
    container.dataset.edges = String(m);
    status.textContent = `${n} nodes, ${m} edges${truncated ? " — some were left out at the node limit; raise “At most” to see more" : ""}.`;
    legendBox.replaceChildren(legend(cy));
    markHubs();
    drawNodeList();
  };

  const runLayout = (randomize: boolean) =>
    new Promise<void>((resolve) => {
      const l = cy.layout(layout(cy.nodes().length, randomize));
      l.one("layoutstop", () => resolve());
      l.run();
    });

  /** Adds the neighbourhood of a node (one hop, same filters) around it. */
  async function expand(iri: string, options: { record?: boolean; relayout?: boolean } = {}): Promise<number> {
    const node = cy.getElementById(iri);
    const id = node.data("entity") || idFromIri(iri) || iri;
    if (expanded.has(iri)) return 0;
    expanded.add(iri);
    node.addClass("expanded");
    status.textContent = `Expanding ${node.data("label") ?? id}…`;
    let view: GraphView;
    try {
      view = await api.graph({ focus: id, depth: 1, limit: state.limit, ...filterParams(state) }, ctx.signal);
    } catch (e) {
      if ((e as Error).name === "AbortError") return 0;
      expanded.delete(iri);
      node.removeClass("expanded");
      status.textContent = `Could not expand ${id}: ${(e as Error).message}`;
      return 0;
    }
    if (view.truncated) truncated = true;
    const centre = node.nonempty() ? node.position() : { x: 0, y: 0 };
    const added = cy.add([
      ...view.nodes
        .filter((n) => cy.getElementById(n.iri).empty())
        .map((n, i, all) => {
          const angle = (2 * Math.PI * i) / Math.max(1, all.length);
          return nodeElement(n, { x: centre.x + 120 * Math.cos(angle), y: centre.y + 120 * Math.sin(angle) });
        }),
      ...view.edges.filter((e) => cy.getElementById(edgeId(e)).empty()).map(edgeElement),
    ]);
    const newNodes = added.nodes().length;
    if (options.record !== false && id && !state.expand.includes(id)) {
      state.expand = [...state.expand, id];
      setQuery(stateQuery(state), { replace: true });
    }
    if (options.relayout !== false && added.length) await runLayout(false);
    describe();
    announce(`${newNodes} nodes added around ${node.data("label")}`);
    return newNodes;
  }

  function showNode(iri: string): void {
    const node = cy.getElementById(iri);
    if (node.empty()) return;
    const id = node.data("entity") as string;
    const edges = node.connectedEdges();
    replace(details, 
      h("h3", null, id ? h("a", { href: entityPath(id) }, node.data("label")) : node.data("label")),
      h("p", { class: "muted" }, `${node.data("type")} · ${node.data("facts")} facts in the graph`),
      h(
        "div",
        { class: "buttons" },
        expanded.has(iri)
          ? h("span", { class: "muted" }, "Expanded")
          : h("button", { type: "button", onclick: (() => void expand(iri).then(() => showNode(iri))) as EventListener }, "Expand"),
        id ? h("a", { class: "button", href: `/network?focus=${encodeURIComponent(id)}` }, "Centre here") : null,
        id ? h("a", { class: "button", href: entityPath(id) }, "Open page") : null,
      ),
      id
        ? h(
            "div",
            { class: "buttons" },
            h("button", { type: "button", class: "link-button", onclick: (() => fromPicker.set(id, node.data("label"))) as EventListener }, "Path from here"),
            h("button", { type: "button", class: "link-button", onclick: (() => toPicker.set(id, node.data("label"))) as EventListener }, "Path to here"),
          )
        : null,
      h(
        "ul",
        { class: "plain edge-list" },
        edges.slice(0, 40).map((e) =>
          h("li", null, certaintyBadge({ iri: "", label: e.data("certainty") || "stated" }), " ", e.data("sentence"), e.data("amount") ? ` (${e.data("amount")})` : ""),
        ),
        edges.length > 40 ? h("li", { class: "muted" }, `and ${edges.length - 40} more`) : null,
      ),
    );
  }

  function showEdge(edgeIdValue: string): void {
    const e = cy.getElementById(edgeIdValue);
    if (e.empty()) return;
    const factId = idFromIri(e.data("fact"));
    replace(details, 
      h("h3", null, e.data("sentence")),
      h(
        "dl",
        { class: "attributes compact" },
        h("dt", null, "Kind"),
        h("dd", null, e.data("kind")),
        e.data("amount") ? [h("dt", null, "Amount"), h("dd", null, e.data("amount"))] : null,
        e.data("date") ? [h("dt", null, "Date"), h("dd", null, formatDate(e.data("date")))] : null,
        h("dt", null, "Certainty"),
        h("dd", null, certaintyBadge({ iri: "", label: e.data("certainty") || "stated" })),
        e.data("status") ? [h("dt", null, "Status"), h("dd", null, e.data("status"))] : null,
        e.data("sourceLabel") ? [h("dt", null, "Source"), h("dd", null, e.data("sourceLabel"))] : null,
      ),
      factId ? h("p", null, h("a", { href: entityPath(factId) }, "The fact, its quote and source")) : null,
    );
  }

  function drawNodeList(): void {
    const nodes = cy.nodes().sort((a, b) => (b.data("facts") as number) - (a.data("facts") as number));
    nodeList.replaceChildren(
      h(
        "details",
        null,
        h("summary", null, `All ${nodes.length} nodes`),
        h(
          "ul",
          { class: "plain node-buttons" },
          nodes.map((n) =>
            h(
              "li",
              null,
              h(
                "button",
                {
                  type: "button",
                  class: "link-button",
                  "data-node": n.data("entity"),
                  onclick: (() => {
                    cy.elements().unselect();
                    n.select();
                    cy.animate({ center: { eles: n }, duration: 200 });
                    showNode(n.id());
                  }) as EventListener,
                },
                n.data("label"),
              ),
              expanded.has(n.id())
                ? null
                : h(
                    "button",
                    {
                      type: "button",
                      class: "small",
                      "aria-label": `Expand ${n.data("label")}`,
                      onclick: (() => void expand(n.id()).then(() => showNode(n.id()))) as EventListener,
                    },
                    "+",
                  ),
            ),
          ),
        ),
      ),
    );
  }

  cy.on("tap", "node", (evt) => {
    const iri = evt.target.id() as string;
    showNode(iri);
    if (!expanded.has(iri)) void expand(iri).then(() => showNode(iri));
  });
  cy.on("tap", "edge", (evt) => showEdge(evt.target.id()));

  // Toolbar: fit, lay out again, export PNG.
  toolbar.append(
    h("button", { type: "button", onclick: (() => cy.fit(undefined, 30)) as EventListener }, "Fit"),
    h("button", { type: "button", onclick: (() => void runLayout(true)) as EventListener }, "Lay out again"),
    h("button", { type: "button", onclick: (() => cy.zoom({ level: Math.min(cy.maxZoom(), cy.zoom() * 1.3), renderedPosition: { x: container.clientWidth / 2, y: container.clientHeight / 2 } })) as EventListener, "aria-label": "Zoom in" }, "+"),
    h("button", { type: "button", onclick: (() => cy.zoom({ level: Math.max(cy.minZoom(), cy.zoom() / 1.3), renderedPosition: { x: container.clientWidth / 2, y: container.clientHeight / 2 } })) as EventListener, "aria-label": "Zoom out" }, "−"),
    h(
      "button",
      {
        type: "button",
        id: "export-png",
        onclick: (() => {
          const blob = cy.png({ output: "blob", full: true, scale: 2, bg: "#ffffff", maxWidth: 8000, maxHeight: 8000 }) as unknown as Blob;
          saveBlob(blob, `dealgraph-${idFromIri(focusIri) ?? "network"}.png`);
        }) as EventListener,
      },
      "Export PNG",
    ),
  );

  await runLayout(true);
  describe();

  // Nodes expanded in the URL, in order, then one layout.
  for (const id of state.expand) {
    const iri = cy.nodes().filter((n) => n.data("entity") === id).first();
    if (iri.nonempty()) await expand(iri.id(), { record: false, relayout: false });
  }
  if (state.expand.length) {
    await runLayout(false);
    describe();
  }

  if (state.from && state.to) await highlightPath();

  async function highlightPath(): Promise<void> {
    replace(pathBox, h("p", { class: "loading" }, "Looking for the path…"));
    let view: PathsView;
    try {
      view = await api.paths({ from: state.from, to: state.to, relations: state.relations, certainty: state.certainty }, ctx.signal);
    } catch (e) {
      if ((e as Error).name === "AbortError") return;
      replace(pathBox, errorBox(e, "The path"));
      return;
    }
    fromPicker.set(view.from.id ?? state.from, view.from.label);
    toPicker.set(view.to.id ?? state.to, view.to.label);
    if (!view.paths.length) {
      replace(pathBox, h("p", { class: "empty" }, `No connection within ${view.max_length} steps.`));
      return;
    }
    // Every node and step of every path is drawn, then lit up.
    const lit = cy.collection();
    let addedAny = false;
    for (const path of view.paths) {
      for (const n of path.nodes) {
        if (cy.getElementById(n.iri).empty()) {
          cy.add(nodeElement({ iri: n.iri, id: n.id, label: n.label, type: null, facts: 1, depth: 9 }));
          addedAny = true;
        }
        lit.merge(cy.getElementById(n.iri));
      }
      for (const step of path.steps) {
        const fact = step.facts[0];
        const existing = cy.edges().filter((e) => step.facts.some((f) => f.iri === e.data("fact")) && sameEnds(e.source().id(), e.target().id(), step.from.iri, step.to.iri));
        if (existing.nonempty()) lit.merge(existing);
        else if (fact) {
          const edge = cy.add(edgeElement(stepEdge(fact, step.from.iri, step.to.iri, step.sentence)));
          addedAny = true;
          lit.merge(edge);
        }
      }
    }
    cy.elements().addClass("faded").removeClass("path");
    lit.removeClass("faded").addClass("path");
    if (addedAny) await runLayout(false);
    cy.animate({ fit: { eles: lit, padding: 80 }, duration: 300 });
    describe();
    container.dataset.path = view.paths[0].sentence;
    replace(pathBox, 
      h("p", { class: "path-found" }, `${view.paths_total} ${view.paths_total === 1 ? "path" : "paths"} of ${view.length} ${view.length === 1 ? "step" : "steps"}:`),
      h(
        "ol",
        { class: "path-list" },
        view.paths.map((p) => h("li", null, p.sentence)),
      ),
      h(
        "p",
        null,
        h("a", { href: `/paths?from=${encodeURIComponent(state.from)}&to=${encodeURIComponent(state.to)}` }, "The facts behind each step"),
        " · ",
        h("button", { type: "button", class: "link-button", onclick: (() => cy.elements().removeClass("faded")) as EventListener }, "Show everything"),
      ),
    );
    announce(`Path: ${view.paths[0].sentence}`);
  }

  const onResize = () => cy.resize();
  window.addEventListener("resize", onResize);
  return () => {
    window.removeEventListener("resize", onResize);
    cy.destroy();
    const w = window as unknown as { __dealgraphCy?: Core };
    if (w.__dealgraphCy === cy) delete w.__dealgraphCy;
  };
}

function sameEnds(a: string, b: string, x: string, y: string): boolean {
  return (a === x && b === y) || (a === y && b === x);
}

/** An edge for a path step whose fact is not drawn yet, oriented by the fact's roles. */
function stepEdge(fact: Fact, a: string, b: string, sentence: string) {
  const side = (iri: string) => fact.participants.find((p) => p.entity.iri === iri)?.side;
  const [source, target] = side(b) === "from" && side(a) !== "from" ? [b, a] : [a, b];
  return {
    id: fact.iri,
    source,
    target,
    fact: fact.iri,
    type: fact.types[0] ?? { iri: "", label: "Fact" },
    label: sentence,
    sentence,
    amount: fact.amount,
    date: fact.when,
    certainty: fact.certainty,
    status: fact.status,
    source_label: fact.source?.label ?? null,
    graph: fact.graph,
  };
}

function clean(q: Record<string, string | string[]>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(q)) {
    const s = Array.isArray(v) ? v.join(",") : v;
    if (s) out[k] = s;
  }
  return out;
}
