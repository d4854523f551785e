// Cytoscape with the fcose layout, styled for dealgraph: nodes coloured by type and sized by how
// many facts name them, edges coloured by kind of fact, labelled with verb and amount, drawn
// dashed or dotted the less sure the source is. Labels fade out when zoomed out so that a graph of
// several hundred nodes stays readable. Shared by the network view and the workbench's CONSTRUCT
// results; loaded only with them.

import cytoscape, { type Core, type ElementDefinition, type LayoutOptions, type StylesheetJson } from "cytoscape";
import fcose from "cytoscape-fcose";
import { h } from "./dom";
import { CERTAINTIES } from "./format";
import type { GraphEdge, GraphNode } from "./types";

cytoscape.use(fcose);

export { cytoscape };
export type { Core, ElementDefinition };

const NODE_COLOURS: Record<string, string> = {
  "AI lab": "#7c3aed",
  "Cloud provider": "#2563eb",
  "Chip maker": "#059669",
  Investor: "#16a34a",
  Organization: "#64748b",
  Company: "#475569",
  "Data center": "#b45309",
  "GPU cluster": "#ea580c",
  "AI model": "#db2777",
  Product: "#0891b2",
  Source: "#94a3b8",
};
const EDGE_COLOURS: Record<string, string> = {
  Investment: "#15803d",
  "Funding round": "#22c55e",
  "Equity stake": "#166534",
  "Compute agreement": "#1d4ed8",
  "Customer relationship": "#60a5fa",
  Competition: "#dc2626",
  Partnership: "#9333ea",
  "Model development": "#f9a8d4",
  "Model evaluation": "#be185d",
  "GPU cluster ownership": "#fdba74",
  "Data center ownership": "#d97706",
  Exclusivity: "#6b7280",
  "Right of first refusal": "#6b7280",
  "Contract term": "#9ca3af",
};
const SPARE = ["#0d9488", "#a16207", "#4f46e5", "#be123c", "#65a30d", "#0369a1", "#c026d3", "#57534e"];
const assigned = new Map<string, string>();

function colourFor(table: Record<string, string>, key: string): string {
  if (table[key]) return table[key];
  if (!assigned.has(key)) assigned.set(key, SPARE[assigned.size % SPARE.length]);
  return assigned.get(key)!;
}
export const nodeColour = (type: string) => colourFor(NODE_COLOURS, type);
export const edgeColour = (kind: string) => colourFor(EDGE_COLOURS, kind);

const MUTUAL = new Set(["competes with", "partners with"]);

export function nodeSize(facts: number): number {
  return Math.round(Math.min(64, 16 + 7 * Math.log2(1 + facts)));
}

export function nodeElement(n: GraphNode, position?: { x: number; y: number }): ElementDefinition {
  const type = n.type?.label ?? "Entity";
  return {
    group: "nodes",
    data: { id: n.iri, entity: n.id ?? "", label: n.label, type, facts: n.facts, size: nodeSize(n.facts), colour: nodeColour(type) },
    position,
  };
}

export function edgeId(e: { fact: string; source: string; target: string }): string {
  return `${e.fact}|${e.source}|${e.target}`;
}

export function edgeElement(e: GraphEdge): ElementDefinition {
  const rank = e.certainty?.rank ?? 6;
  const classes = [MUTUAL.has(e.label) ? "mutual" : "", rank <= 1 ? "speculative" : rank < 5 ? "hedged" : ""].filter(Boolean).join(" ");
  return {
    group: "edges",
    data: {
      id: edgeId(e),
      source: e.source,
      target: e.target,
      fact: e.fact,
      kind: e.type.label,
      verb: e.label,
      label: e.amount ? `${e.label} · ${e.amount.label}` : e.label,
      sentence: e.sentence,
      amount: e.amount?.label ?? "",
      date: e.date ?? "",
      certainty: e.certainty?.label ?? "",
      status: e.status?.label ?? "",
      sourceLabel: e.source_label ?? "",
      colour: edgeColour(e.type.label),
    },
    classes,
  };
}

export const style: StylesheetJson = [
  {
    selector: "node",
    style: {
      "background-color": "data(colour)",
      label: "data(label)",
      width: "data(size)",
      height: "data(size)",
      "font-size": 11,
      "font-family": "Helvetica, Arial, sans-serif",
      color: "#111827",
      "text-valign": "bottom",
      "text-margin-y": 3,
      "text-wrap": "ellipsis",
      "text-max-width": "140px",
      "text-background-color": "#ffffff",
      "text-background-opacity": 0.75,
      "text-background-padding": "1px",
      "min-zoomed-font-size": 7,
      "border-width": 1,
      "border-color": "#ffffff",
    },
  },
  { selector: "node.hub", style: { "z-index": 10, "text-background-opacity": 0.9 } },
  { selector: "node.focus", style: { "border-width": 4, "border-color": "#111827", "font-weight": "bold", "font-size": 13 } },
  { selector: "node.expanded", style: { "border-width": 4, "border-style": "double", "border-color": "#111827" } },
  { selector: "node:selected", style: { "overlay-color": "#2563eb", "overlay-opacity": 0.25, "overlay-padding": 6 } },
  {
    selector: "edge",
    style: {
      width: 1.6,
      "line-color": "data(colour)",
      "target-arrow-color": "data(colour)",
      "target-arrow-shape": "triangle",
      "arrow-scale": 0.9,
      "curve-style": "bezier",
      label: "data(label)",
      "font-size": 9,
      color: "#374151",
      "text-rotation": "autorotate",
      "text-background-color": "#ffffff",
      "text-background-opacity": 0.85,
      "text-background-padding": "1px",
      // Edge labels appear once zoomed in: at 200+ nodes they would hide the graph.
      "min-zoomed-font-size": 10,
    },
  },
  { selector: "edge.mutual", style: { "target-arrow-shape": "none" } },
  { selector: "edge.hedged", style: { "line-style": "dashed", "line-dash-pattern": [6, 3] } },
  { selector: "edge.speculative", style: { "line-style": "dotted" } },
  { selector: "edge:selected", style: { width: 4, "overlay-color": "#2563eb", "overlay-opacity": 0.2 } },
  { selector: ".faded", style: { opacity: 0.15, "text-opacity": 0.1 } },
  { selector: "node.path", style: { "border-width": 5, "border-color": "#e11d48", "z-index": 20, "font-weight": "bold", "min-zoomed-font-size": 0 } },
  {
    selector: "edge.path",
    style: { width: 5, "line-color": "#e11d48", "target-arrow-color": "#e11d48", "z-index": 20, "min-zoomed-font-size": 0, "font-weight": "bold" },
  },
  { selector: "node.literal", style: { shape: "round-rectangle", "background-color": "#e5e7eb", "border-color": "#9ca3af", width: 24, height: 16, "font-size": 9 } },
];

export function layout(nodeCount: number, randomize: boolean): LayoutOptions {
  return {
    name: "fcose",
    quality: nodeCount > 400 ? "draft" : "default",
    randomize,
    animate: nodeCount < 250,
    animationDuration: 450,
    fit: true,
    padding: 30,
    nodeDimensionsIncludeLabels: true,
    // Stronger repulsion and weaker gravity as the graph grows, so that hubs (CoreWeave and
    // OpenAI, each with dozens of leaves) keep apart instead of sharing one crowded centre.
    nodeRepulsion: () => (nodeCount > 60 ? 25000 : 9000),
    idealEdgeLength: () => (nodeCount > 150 ? 70 : 100),
    gravity: nodeCount > 60 ? 0.1 : 0.25,
    gravityRange: 3.8,
    nodeSeparation: 90,
    packComponents: true,
    numIter: 2500,
  } as unknown as LayoutOptions;
}

export function createGraph(container: HTMLElement, elements: ElementDefinition[]): Core {
  return cytoscape({
    container,
    elements,
    style,
    minZoom: 0.05,
    maxZoom: 4,
    boxSelectionEnabled: false,
    layout: { name: "preset" },
  });
}

/**
 * Keeps the labels of the most connected nodes (and of the focus, expanded and path nodes)
 * readable at any zoom: their font grows as the graph is zoomed out, while the other labels
 * fade out below a minimum size. At 200+ nodes this names the hubs and leaves the rest as dots
 * until zoomed in.
 */
export function readableHubs(cy: Core, count = 20): () => void {
  const mark = () => {
    cy.nodes(".hub").removeClass("hub");
    const ranked = cy
      .nodes()
      .sort((a, b) => (b.data("facts") as number) - (a.data("facts") as number))
      .slice(0, count);
    ranked.addClass("hub");
    cy.nodes(".focus, .expanded, .path").addClass("hub");
    resize();
  };
  let last = 0;
  const resize = () => {
    const zoom = cy.zoom();
    const size = Math.round(Math.max(11, 12 / zoom));
    if (size === last) return;
    last = size;
    cy.style().selector("node.hub").style({ "font-size": size, "text-max-width": `${Math.round(150 / Math.min(1, zoom))}px`, "min-zoomed-font-size": 0 }).update();
  };
  cy.on("zoom", resize);
  mark();
  return mark;
}

/** The legend for what is drawn now: node types, kinds of edge, and the line styles of certainty. */
export function legend(cy: Core, options: { facts?: boolean } = { facts: true }): HTMLElement {
  const types = new Map<string, number>();
  cy.nodes().forEach((n) => {
    if (!n.hasClass("literal")) types.set(n.data("type"), (types.get(n.data("type")) ?? 0) + 1);
  });
  const kinds = new Map<string, number>();
  cy.edges().forEach((e) => {
    kinds.set(e.data("kind"), (kinds.get(e.data("kind")) ?? 0) + 1);
  });
  const swatch = (colour: string, shape: "dot" | "line", dash = "") =>
    h("span", { class: `swatch swatch-${shape} ${dash}`, style: `--swatch:${colour}`, "aria-hidden": "true" });
  return h(
    "div",
    { class: "legend" },
    h("h3", null, "Legend"),
    h(
      "ul",
      { class: "plain", "aria-label": "Node types" },
      [...types].sort((a, b) => b[1] - a[1]).map(([type, n]) => h("li", null, swatch(nodeColour(type), "dot"), ` ${type} (${n})`)),
    ),
    kinds.size
      ? h(
          "ul",
          { class: "plain", "aria-label": "Kinds of fact" },
          [...kinds].sort((a, b) => b[1] - a[1]).map(([kind, n]) => h("li", null, swatch(edgeColour(kind), "line"), ` ${kind} (${n})`)),
        )
      : null,
    options.facts === false
      ? null
      : h(
          "ul",
          { class: "plain", "aria-label": "Certainty" },
          h("li", null, swatch("#374151", "line"), " stated, announced"),
          h("li", null, swatch("#374151", "line", "dashed"), ` ${CERTAINTIES.filter((c) => c.rank > 1 && c.rank < 5).map((c) => c.label).join(", ")}`),
          h("li", null, swatch("#374151", "line", "dotted"), " speculative"),
          h("li", null, swatch("#e11d48", "line"), " path between the chosen entities"),
        ),
    options.facts === false
      ? h("p", { class: "muted small" }, "Zoom in for edge labels.")
      : h("p", { class: "muted small" }, "Node size: how many facts name it. Double ring: expanded. Zoom in for edge labels."),
  );
}
