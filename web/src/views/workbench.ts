// The SPARQL workbench: YASQE (the editor of YASGUI) with the project's prefixes, the example
// query library beside it, and YASR (YASGUI's results) below. Results are a table whose dealgraph
// IRIs link to entity pages; CONSTRUCT and DESCRIBE results are drawn as a graph; a syntax error
// is shown with its line and column and marked in the editor. The query lives in the URL
// (?query=... or ?example=NAME), so a query is shared by sharing the address.

import Yasqe from "@zazuko/yasqe";
import Yasr from "@zazuko/yasr";
import type { Plugin } from "@zazuko/yasr";
import "@zazuko/yasqe/build/yasqe.min.css";
import "@zazuko/yasr/build/yasr.min.css";
import { api } from "../api";
import { announce, errorBox, h } from "../dom";
import { entityPath, idFromIri } from "../format";
import { setQuery, setTitle, type RouteContext } from "../router";
import type { ExampleQuery } from "../types";

export const PREFIXES: Record<string, string> = {
  dg: "https://w3id.org/dealgraph/ontology#",
  dgr: "https://w3id.org/dealgraph/id/",
  dgc: "https://w3id.org/dealgraph/certainty/",
  dgs: "https://w3id.org/dealgraph/status/",
  prov: "http://www.w3.org/ns/prov#",
  rdfs: "http://www.w3.org/2000/01/rdf-schema#",
  rdf: "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
  xsd: "http://www.w3.org/2001/XMLSchema#",
  skos: "http://www.w3.org/2004/02/skos/core#",
  schema: "http://schema.org/",
  org: "http://www.w3.org/ns/org#",
  owl: "http://www.w3.org/2002/07/owl#",
  dcterms: "http://purl.org/dc/terms/",
};

const prefixLines = () =>
  Object.entries(PREFIXES)
    .map(([p, iri]) => `PREFIX ${p}: <${iri}>`)
    .join("\n");

const STARTER = `${prefixLines()}

# The organisations in the graph and how many facts name each.
SELECT ?org ?label (COUNT(DISTINCT ?fact) AS ?facts)
WHERE {
  ?org a dg:Organization ;
       rdfs:label ?label .
  ?fact dg:party ?org .
}
GROUP BY ?org ?label
ORDER BY DESC(?facts)
LIMIT 25
`;

/** A CONSTRUCT to show that graph results are drawn: the library has only SELECT and ASK. */
const CONSTRUCT_EXAMPLE = `# Draw the company-to-company relations of CoreWeave, OpenAI, Microsoft, Nvidia and Oracle.
# CONSTRUCT and DESCRIBE results are drawn as a graph (switch to "Table" for the triples).
PREFIX dg: <https://w3id.org/dealgraph/ontology#>
PREFIX dgr: <https://w3id.org/dealgraph/id/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>

CONSTRUCT {
  ?a ?relation ?b .
  ?a rdfs:label ?aLabel .
  ?b rdfs:label ?bLabel .
}
WHERE {
  VALUES ?a { dgr:coreweave dgr:openai dgr:microsoft dgr:nvidia dgr:oracle }
  VALUES ?relation { dg:investedIn dg:buysComputeFrom dg:competitorOf dg:partnerOf dg:holdsEquityIn }
  ?a ?relation ?b .
  ?b a dg:Organization .
  ?a rdfs:label ?aLabel .
  ?b rdfs:label ?bLabel .
}
`;

// --- YASR plugins ---------------------------------------------------------------------------

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** YASR's table, with dealgraph IRIs as dgr:X linking to the entity page. */
const BaseTable = Yasr.plugins.table as unknown as new (yasr: Yasr) => { getUriLinkFromBinding(b: { value: string }, p?: object): string };
class EntityTable extends BaseTable {
  getUriLinkFromBinding(binding: { value: string }, prefixes?: object): string {
    const id = idFromIri(binding.value);
    if (id) return `<a class='iri' href='${escapeHtml(entityPath(id))}' title='${escapeHtml(binding.value)}'>dgr:${escapeHtml(id)}</a>`;
    return super.getUriLinkFromBinding(binding, prefixes);
  }
}

interface Term {
  termType: string;
  value: string;
}
interface Quad {
  subject: Term;
  predicate: Term;
  object: Term;
}

const LABELS = new Set(["http://www.w3.org/2000/01/rdf-schema#label", "http://schema.org/name", "http://www.w3.org/2004/02/skos/core#prefLabel"]);
const RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";

function shorten(iri: string): string {
  for (const [p, ns] of Object.entries(PREFIXES)) if (iri.startsWith(ns)) return `${p}:${iri.slice(ns.length)}`;
  return iri;
}

/** CONSTRUCT and DESCRIBE results as a graph: IRIs are nodes, literals are listed on click. */
class GraphPlugin implements Plugin<object> {
  priority = 15;
  label = "Graph";
  private yasr: Yasr;
  private dispose: (() => void) | null = null;
  constructor(yasr: Yasr) {
    this.yasr = yasr;
  }
  canHandleResults(): boolean {
    const results = this.yasr.results as unknown as { getType(): string; getStatements(): Quad[] | null } | undefined;
    return !!results && results.getType() === "ttl" && (results.getStatements()?.length ?? 0) > 0;
  }
  getIcon(): Element {
    return h("span", { "aria-hidden": "true" }, "◉");
  }
  destroy(): void {
    this.dispose?.();
    this.dispose = null;
  }
  async draw(): Promise<void> {
    this.destroy();
    const quads = (this.yasr.results as unknown as { getStatements(): Quad[] }).getStatements();
    const { createGraph, edgeColour, layout, legend, nodeColour } = await import("../graph");
    const labels = new Map<string, string>();
    const types = new Map<string, string>();
    const literals = new Map<string, [string, string][]>();
    for (const q of quads) {
      if (LABELS.has(q.predicate.value) && q.object.termType === "Literal") labels.set(q.subject.value, q.object.value);
      if (q.predicate.value === RDF_TYPE) types.set(q.subject.value, shorten(q.object.value).replace(/^dg:/, ""));
    }
    const nodes = new Map<string, object>();
    const edges: object[] = [];
    const addNode = (term: Term) => {
      if (nodes.has(term.value)) return;
      const type = types.get(term.value) ?? (term.termType === "BlankNode" ? "Blank node" : "Resource");
      nodes.set(term.value, {
        group: "nodes",
        data: { id: term.value, entity: idFromIri(term.value) ?? "", label: labels.get(term.value) ?? shorten(term.value), type, facts: 1, size: 26, colour: nodeColour(type) },
      });
    };
    quads.forEach((q, i) => {
      addNode(q.subject);
      if (q.object.termType === "Literal") {
        literals.set(q.subject.value, [...(literals.get(q.subject.value) ?? []), [shorten(q.predicate.value), q.object.value]]);
        return;
      }
      if (q.predicate.value === RDF_TYPE) return;
      addNode(q.object);
      const verb = shorten(q.predicate.value);
      edges.push({
        group: "edges",
        data: { id: `t${i}`, source: q.subject.value, target: q.object.value, kind: verb, verb, label: verb, colour: edgeColour(verb), sentence: `${labels.get(q.subject.value) ?? shorten(q.subject.value)} ${verb} ${labels.get(q.object.value) ?? shorten(q.object.value)}` },
      });
    });

    const container = h("div", { class: "cy cy-results", role: "img", "aria-label": `Graph of ${nodes.size} resources and ${edges.length} links; the list below names them` });
    const info = h("div", { class: "graph-info", "aria-live": "polite" }, h("p", { class: "muted" }, `${quads.length} triples: ${nodes.size} resources, ${edges.length} links. Click a node for its literals.`));
    const legendBox = h("div", { class: "graph-legend" });
    this.yasr.resultsEl.append(h("div", { class: "graph-results" }, container, h("div", { class: "graph-side" }, info, legendBox)));
    const cy = createGraph(container, [...nodes.values(), ...edges] as never);
    cy.layout(layout(nodes.size, true)).run();
    legendBox.append(legend(cy, { facts: false }));
    cy.on("tap", "node", (evt) => {
      const iri = evt.target.id() as string;
      const id = idFromIri(iri);
      info.replaceChildren(
        h("h3", null, id ? h("a", { href: entityPath(id) }, labels.get(iri) ?? shorten(iri)) : labels.get(iri) ?? shorten(iri)),
        h("p", null, h("code", null, iri)),
        h("dl", { class: "attributes compact" }, (literals.get(iri) ?? []).map(([p, v]) => [h("dt", null, p), h("dd", null, v)])),
      );
    });
    this.dispose = () => cy.destroy();
  }
}

Yasr.registerPlugin("table", EntityTable as unknown as typeof Plugin);
Yasr.registerPlugin("graph", GraphPlugin as unknown as typeof Plugin);

// --- errors -------------------------------------------------------------------------------

interface ServerError {
  status: number;
  code: string;
  message: string;
}

function parseServerError(text: string | undefined): ServerError | null {
  if (!text) return null;
  try {
    const body = JSON.parse(text);
    if (body?.error?.message) return body.error as ServerError;
  } catch {
    // not the server's JSON
  }
  return null;
}

/** The line and column a message names ("error at 3:14"), 1-based. */
export function errorPosition(message: string): { line: number; column: number } | null {
  const m = /(?:at|line)\s+(\d+):(\d+)/i.exec(message) ?? /line (\d+),? column (\d+)/i.exec(message);
  return m ? { line: Number(m[1]), column: Number(m[2]) } : null;
}

// --- the view ---------------------------------------------------------------------------

export async function workbenchView(ctx: RouteContext): Promise<() => void> {
  const example = ctx.query.get("example") ?? "";
  const given = ctx.query.get("query");
  setTitle(example ? `Workbench: ${example}` : "SPARQL workbench");

  const editorBox = h("div", { class: "editor", id: "yasqe" });
  const resultsBox = h("div", { class: "results", id: "yasr" });
  const errorPanel = h("div", { class: "query-error", "aria-live": "assertive" });
  const runStatus = h("span", { class: "run-status", role: "status" });
  const examplesList = h("ol", { class: "examples plain" }, h("li", { class: "muted" }, "Loading the examples…"));
  const exampleFilter = h("input", { id: "example-filter", type: "search", placeholder: "Filter the examples" }) as HTMLInputElement;
  const runButton = h("button", { type: "button", class: "primary", id: "run-query" }, "Run query");
  const prefixButton = h("button", { type: "button" }, "Add the project's prefixes");
  const heading = h("h1", null, "SPARQL workbench");
  const question = h("p", { class: "question" });

  ctx.root.append(
    heading,
    h(
      "div",
      { class: "workbench-layout" },
      h(
        "aside",
        { class: "library", "aria-labelledby": "library-h" },
        h("h2", { id: "library-h", class: "h3" }, "Example queries"),
        h("label", { for: "example-filter", class: "visually-hidden" }, "Filter the examples"),
        exampleFilter,
        examplesList,
        h("p", null, h("a", { href: `/workbench?query=${encodeURIComponent(CONSTRUCT_EXAMPLE)}` }, "A CONSTRUCT, drawn as a graph")),
      ),
      h(
        "div",
        { class: "workbench-main" },
        question,
        h(
          "p",
          { class: "editor-help muted", id: "editor-help" },
          "Ctrl+Enter runs the query; Ctrl+Space completes; Esc then Tab leaves the editor. The default graph is the union of all sources.",
        ),
        editorBox,
        h("div", { class: "run-bar" }, runButton, prefixButton, runStatus),
        errorPanel,
        resultsBox,
      ),
    ),
  );

  const yasqe = new Yasqe(editorBox, {
    value: STARTER,
    persistenceId: null,
    consumeShareLink: null,
    createShareableLink: (y: Yasqe) => `${location.origin}/workbench?query=${encodeURIComponent(y.getValue())}`,
    requestConfig: {
      endpoint: "/sparql",
      method: "POST",
      acceptHeaderSelect: "application/sparql-results+json",
      acceptHeaderGraph: "application/n-triples",
      acceptHeaderUpdate: "application/json",
    },
    autocompleters: ["prefixes", "variables"],
    editorHeight: "320px",
    resizeable: true,
    showQueryButton: true,
    screenReaderLabel: "SPARQL query",
  } as never);
  yasqe.getInputField().setAttribute("aria-describedby", "editor-help");

  const yasr = new Yasr(resultsBox, {
    persistenceId: null,
    prefixes: PREFIXES,
    pluginOrder: ["table", "graph", "response"],
    defaultPlugin: "table",
    // Values without their datatypes and without truncation: easier to read for a person.
    plugins: { table: { dynamicConfig: { compact: true, isEllipsed: false, pageSize: 50 } } },
    getDownloadFileName: () => example || "dealgraph-results",
    errorRenderers: [async (error: { text?: string }) => renderError(error.text)],
  } as never);

  let errorMark: { clear(): void } | null = null;
  let errorLine: number | null = null;
  const clearError = () => {
    errorMark?.clear();
    errorMark = null;
    if (errorLine !== null) yasqe.removeLineClass(errorLine, "background", "error-line");
    errorLine = null;
    errorPanel.replaceChildren();
  };

  /** Marks the position a syntax error names and says where it is. */
  function markError(message: string): HTMLElement | null {
    const at = errorPosition(message);
    if (!at) return null;
    const doc = yasqe.getDoc();
    const line = Math.min(Math.max(at.line - 1, 0), doc.lineCount() - 1);
    const text = doc.getLine(line) ?? "";
    const ch = Math.min(Math.max(at.column - 1, 0), text.length);
    errorLine = line;
    yasqe.addLineClass(line, "background", "error-line");
    const end = Math.min(text.length, ch + 1);
    errorMark = doc.markText({ line, ch: end > ch ? ch : Math.max(0, ch - 1) }, { line, ch: Math.max(end, ch) }, { className: "error-mark" });
    const go = h(
      "button",
      {
        type: "button",
        class: "link-button",
        onclick: (() => {
          yasqe.focus();
          doc.setCursor({ line, ch });
        }) as EventListener,
      },
      "Go to the error",
    );
    return h("p", { class: "error-position" }, `Line ${at.line}, column ${at.column}: `, h("code", null, text.trim() || "(end of the query)"), " ", go);
  }

  function renderError(text: string | undefined): HTMLElement | undefined {
    const server = parseServerError(text);
    const message = server?.message ?? text ?? "The query failed.";
    const position = markError(message);
    const box = h(
      "div",
      { class: "error-box", role: "alert" },
      h("strong", null, server ? `${server.status} ${server.code}` : "Error"),
      position,
      h("pre", { class: "error-message" }, message),
    );
    return box;
  }

  let started = 0;
  yasqe.on("query", () => {
    clearError();
    started = performance.now();
    runStatus.textContent = "Running…";
    runButton.textContent = "Running…";
    // The URL names what runs: an example as it was, or the text itself.
    const text = yasqe.getValue();
    const exampleText = currentExample?.query;
    if (currentExample && text === exampleText) setQuery({ example: currentExample.name });
    else setQuery({ query: text });
  });
  yasqe.on("queryResponse", (_y: Yasqe, response: unknown, duration: number) => {
    runButton.textContent = "Run query";
    const isGraph = ["CONSTRUCT", "DESCRIBE"].includes(yasqe.getQueryType());
    (yasr as unknown as { selectedPlugin?: string }).selectedPlugin = isGraph ? "graph" : "table";
    yasr.setResponse(response, duration);
    const results = yasr.results;
    if (results?.hasError()) {
      runStatus.textContent = "The query failed.";
      announce("The query failed");
    } else {
      const rows = results?.getBindings()?.length;
      const bool = results?.getBoolean();
      const said =
        bool !== undefined ? `Answer: ${bool ? "yes" : "no"}` : rows !== undefined && rows !== null ? `${rows} ${isGraph ? "triples" : "rows"}` : "Done";
      runStatus.textContent = `${said} in ${Math.round(duration || performance.now() - started)} ms.`;
      resultsBox.dataset.rows = String(rows ?? "");
      announce(said);
    }
  });
  runButton.addEventListener("click", () => void yasqe.query().catch(() => {}));
  prefixButton.addEventListener("click", () => {
    yasqe.addPrefixes(PREFIXES);
    yasqe.focus();
  });

  // Links in the results table go to entity pages through the router (its document listener).

  let currentExample: ExampleQuery | null = null;
  let examples: ExampleQuery[] = [];
  try {
    examples = (await api.queries(ctx.signal)).queries;
  } catch (e) {
    if ((e as Error).name === "AbortError") throw e;
    examplesList.replaceChildren(h("li", null, errorBox(e, "The example library")));
  }
  const items = examples.map((q) =>
    h(
      "li",
      { "data-name": q.name },
      h("a", { href: `/workbench?example=${encodeURIComponent(q.name)}`, "aria-current": q.name === example ? "page" : null }, h("span", { class: "example-number" }, q.name.slice(0, 2)), " ", q.question),
    ),
  );
  if (examples.length) examplesList.replaceChildren(...items);
  exampleFilter.addEventListener("input", () => {
    const needle = exampleFilter.value.trim().toLowerCase();
    examples.forEach((q, i) => (items[i].hidden = !!needle && !`${q.name} ${q.question} ${q.query}`.toLowerCase().includes(needle)));
  });

  let autorun = false;
  if (example) {
    currentExample = examples.find((q) => q.name === example) ?? null;
    if (!currentExample) {
      // Not in the list (or the list failed): ask for the .rq itself.
      try {
        const response = await fetch(`/queries/${encodeURIComponent(example)}`, { signal: ctx.signal });
        if (!response.ok) throw new Error(`no example named “${example}” (${response.status})`);
        currentExample = { name: example, question: example, query: await response.text(), url: "" };
      } catch (e) {
        if ((e as Error).name === "AbortError") throw e;
        errorPanel.replaceChildren(errorBox(e, "The example"));
      }
    }
    if (currentExample) {
      yasqe.setValue(currentExample.query);
      heading.textContent = `Example ${currentExample.name.slice(0, 2)}`;
      question.textContent = currentExample.question;
      setTitle(`Workbench: ${currentExample.question}`);
      autorun = true;
    }
  } else if (given !== null) {
    yasqe.setValue(given);
    autorun = true;
  }
  // A query in the address runs when opened, unless it is an update.
  if (autorun && yasqe.getQueryMode() === "query") void yasqe.query().catch(() => {});
  else yasqe.focus();

  return () => {
    yasqe.abortQuery();
    yasr.destroy();
    yasqe.destroy();
  };
}
