// An entity's page: what it is, its latest figures with their dates, every deal and relationship
// with counterparties, amounts, dates, certainty and the quote and source behind it, a timeline,
// where sources disagree, its neighbours, and downloads (Turtle, JSON-LD, GEXF).

import { api, download, type ApiError } from "../api";
import { announce, append, errorBox, h, type Child } from "../dom";
import {
  amountView,
  certaintyBadge,
  CERTAINTIES,
  entityLink,
  entityPath,
  factDetails,
  factWhen,
  formatDate,
  formatNumber,
  graphLabel,
  isEpochSource,
  epochCredit,
  kindOf,
  refId,
} from "../format";
import { navigate, setTitle, type RouteContext } from "../router";
import type { ConflictsView, EntityView, Fact, TimelineView } from "../types";

export async function entityView(ctx: RouteContext): Promise<void> {
  const id = ctx.params.id;
  const asOf = ctx.query.get("as_of") ?? "";
  const limit = ctx.query.get("limit") ?? "";
  setTitle(id);

  const entityPromise = api.entity(id, { as_of: asOf || undefined, limit: limit ? Number(limit) : undefined }, ctx.signal);
  // The timeline and the conflicts arrive while the card is drawn.
  const timelinePromise = api.timeline(id, asOf || undefined, ctx.signal);
  const conflictsPromise = api.conflicts(id, ctx.signal);
  timelinePromise.catch(() => {});
  conflictsPromise.catch(() => {});

  ctx.root.append(h("p", { class: "loading" }, "Loading ", h("code", null, id), "…"));
  let entity: EntityView;
  try {
    entity = await entityPromise;
  } catch (e) {
    if ((e as Error).name === "AbortError") throw e;
    setTitle((e as ApiError).status === 404 ? "Not found" : "Error");
    ctx.root.replaceChildren(
      h("h1", null, id),
      errorBox(e, `“${id}”`),
      h("p", null, "Try the search box above, or ", h("a", { href: "/" }, "start from the home page"), "."),
    );
    return;
  }
  setTitle(entity.label);

  const selfIri = entity.iri;
  const deals = entity.facts.filter((f) => f.participants.some((p) => p.entity.iri !== selfIri));
  const others = entity.facts.filter((f) => !deals.includes(f));

  const timelineSection = section("timeline", "Timeline", h("p", { class: "loading" }, "Loading the timeline…"));
  const conflictsSection = section("conflicts", "Where sources disagree", h("p", { class: "loading" }, "Comparing sources…"));

  ctx.root.replaceChildren(
    header(entity, asOf),
    h(
      "nav",
      { class: "toc", "aria-label": "On this page" },
      h(
        "ul",
        null,
        [
          ["summary", "Summary"],
          ["figures", `Figures (${entity.figures.length})`],
          ["deals", `Deals and relationships (${deals.length})`],
          ["other-facts", `Other facts (${others.length})`],
          ["timeline", "Timeline"],
          ["conflicts", "Conflicts"],
          ["sources", `Sources (${entity.sources.length})`],
        ].map(([anchor, text]) => h("li", null, h("a", { href: `#${anchor}` }, text))),
      ),
    ),
    h(
      "div",
      { class: "overview" },
      summary(entity),
      section("figures", "Figures", entity.figures.length ? figuresTable(entity.figures) : h("p", { class: "muted" }, "No figures recorded.")),
    ),
    section(
      "deals",
      "Deals and relationships",
      truncationNote(entity, id, asOf),
      deals.length ? factTable(deals, selfIri, "deals") : h("p", { class: "muted" }, "No deals or relationships recorded."),
    ),
    section(
      "other-facts",
      "Other facts",
      h("p", { class: "section-note" }, "Observations about this entity alone: counts, headcounts, revenue, plans, assessments."),
      others.length ? factTable(others, selfIri, "other") : h("p", { class: "muted" }, "None."),
    ),
    timelineSection,
    conflictsSection,
    section("sources", "Sources", sourcesList(entity)),
  );

  // Deep links to a section (#timeline) work once the page is drawn.
  if (location.hash) document.getElementById(location.hash.slice(1))?.scrollIntoView();

  const [timeline, conflicts] = await Promise.allSettled([timelinePromise, conflictsPromise]);
  if (ctx.signal.aborted) return;
  fill(timelineSection, timeline, (t: TimelineView) => timelineView(t));
  fill(conflictsSection, conflicts, (c: ConflictsView) => conflictsView(c));
}

function section(id: string, title: string, ...children: Child[]): HTMLElement {
  return h("section", { id, class: "entity-section", "aria-labelledby": `${id}-h` }, h("h2", { id: `${id}-h` }, title), children);
}

function fill<T>(target: HTMLElement, result: PromiseSettledResult<T>, draw: (value: T) => Child): void {
  const heading = target.querySelector("h2");
  target.replaceChildren(...(heading ? [heading] : []));
  if (result.status === "fulfilled") append(target, [draw(result.value)]);
  else target.append(errorBox(result.reason, "This part"));
}

function header(entity: EntityView, asOf: string): HTMLElement {
  const id = entity.id ?? refId(entity) ?? "";
  const status = h("span", { class: "download-status", role: "status" });
  const fetchDownload = (accept: string, ext: string) => async () => {
    status.textContent = "Downloading…";
    try {
      await download(`/id/${encodeURIComponent(id)}`, accept, `${id}.${ext}`);
      status.textContent = "";
    } catch (e) {
      status.textContent = `Download failed: ${(e as Error).message}`;
    }
  };

  const asOfInput = h("input", {
    id: "as-of",
    name: "as_of",
    type: "text",
    inputmode: "numeric",
    pattern: "\\d{4}(-\\d{2}(-\\d{2})?)?",
    placeholder: "YYYY-MM-DD",
    value: asOf,
    size: 11,
    title: "A year, a month or a day: 2024, 2024-06 or 2024-06-30",
  }) as HTMLInputElement;
  const asOfForm = h(
    "form",
    {
      class: "as-of",
      onsubmit: ((e: Event) => {
        e.preventDefault();
        const value = asOfInput.value.trim();
        navigate(entityPath(id) + (value ? `?as_of=${encodeURIComponent(value)}` : ""));
      }) as EventListener,
    },
    h("label", { for: "as-of" }, "As known on"),
    asOfInput,
    h("button", { type: "submit" }, "Show"),
    asOf ? h("a", { href: entityPath(id) }, "Today") : null,
  );

  return h(
    "header",
    { class: "entity-header" },
    h("p", { class: "types" }, entity.types.map((t) => h("span", { class: "chip" }, t.label))),
    h("h1", null, entity.label),
    entity.aliases.length ? h("p", { class: "aliases" }, "Also known as ", entity.aliases.join(", ")) : null,
    entity.description ? h("p", { class: "description" }, entity.description) : null,
    asOf ? h("p", { class: "as-of-note", role: "note" }, `As known on ${formatDate(asOf)}: later facts are left out and figures are those known then.`) : null,
    h(
      "div",
      { class: "actions" },
      h("a", { class: "button", href: `/network?focus=${encodeURIComponent(id)}` }, "Network"),
      h("a", { class: "button", href: `/paths?from=${encodeURIComponent(id)}` }, "Paths from here"),
      h("a", { class: "button", href: `/workbench?query=${encodeURIComponent(entityQuery(id, entity.label))}` }, "Query in the workbench"),
      h(
        "span",
        { class: "downloads", role: "group", "aria-label": "Downloads" },
        "Download: ",
        h("button", { type: "button", class: "link-button", onclick: fetchDownload("text/turtle", "ttl") as EventListener }, "Turtle"),
        h("button", { type: "button", class: "link-button", onclick: fetchDownload("application/ld+json", "jsonld") as EventListener }, "JSON-LD"),
        h("a", { href: `/api/export?format=gexf&focus=${encodeURIComponent(id)}`, download: `${id}.gexf` }, "GEXF"),
        status,
      ),
      asOfForm,
    ),
    h("p", { class: "iri" }, h("span", { class: "muted" }, "IRI "), h("code", null, entity.iri)),
  );
}

/** A starting query for the workbench: every fact that names the entity, in its most specific role. */
export function entityQuery(id: string, label: string): string {
  return `# Every fact that names ${label}, with its kind, certainty and quote.
PREFIX dg: <https://w3id.org/dealgraph/ontology#>
PREFIX dgr: <https://w3id.org/dealgraph/id/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>

SELECT DISTINCT ?fact ?label ?role ?certainty ?quote
WHERE {
  ?fact ?role dgr:${id} ;
        dg:certainty ?certainty ;
        rdfs:label ?label .
  ?role rdfs:subPropertyOf* dg:party .
  # The most specific role only: inference adds every superproperty.
  FILTER NOT EXISTS { ?fact ?narrower dgr:${id} . ?narrower rdfs:subPropertyOf+ ?role . FILTER(?narrower != ?role) }
  OPTIONAL { ?fact dg:quote ?quote }
}
ORDER BY ?fact
LIMIT 500
`;
}

function summary(entity: EntityView): HTMLElement {
  const groups = new Map<string, Child[]>();
  for (const link of entity.relations) {
    const key = link.property.label;
    const links = groups.get(key) ?? [];
    groups.set(key, [...links, links.length ? ", " : "", entityLink(link.entity)]);
  }
  // A hub's thousands are counted, not listed: the network view draws them.
  for (const kind of entity.relation_counts.filter((k) => !k.listed)) {
    groups.set(kind.property.label, [
      `${formatNumber(kind.count)} entities (`,
      h("a", { href: `/network?focus=${encodeURIComponent(entity.id ?? entity.iri)}` }, "see the network"),
      ")",
    ]);
  }
  return section(
    "summary",
    "Summary",
    h(
      "p",
      { class: "counts" },
      `${formatNumber(entity.facts_total)} facts from ${entity.sources.length} sources; `,
      `${formatNumber(entity.connected)} connected entities.`,
    ),
    entity.attributes.length
      ? h(
          "dl",
          { class: "attributes" },
          entity.attributes.map((a) => [
            h("dt", null, a.property.label),
            h("dd", null, a.entity ? entityLink(a.entity) : a.datatype?.endsWith("#date") ? formatDate(a.value) : a.value),
          ]),
        )
      : null,
    groups.size
      ? h(
          "div",
          { class: "neighbours" },
          h("h3", null, "Connected to"),
          h(
            "dl",
            { class: "attributes" },
            [...groups].map(([property, links]) => [h("dt", null, property), h("dd", null, links)]),
          ),
        )
      : null,
  );
}

function figuresTable(figures: Fact[]): HTMLElement {
  return h(
    "table",
    { class: "facts figures" },
    h("caption", { class: "visually-hidden" }, "Latest figure of each kind"),
    h("thead", null, h("tr", null, ["Kind", "Figure", "Value", "When", "Certainty", "Source"].map((c) => h("th", { scope: "col" }, c)))),
    h(
      "tbody",
      null,
      figures.map((f) =>
        h(
          "tr",
          null,
          h("td", null, kindOf(f)),
          h("td", null, factDetails(f)),
          h("td", { class: "num" }, f.amount ? amountView(f.amount) : f.quantity ? formatNumber(f.quantity) : ""),
          h("td", null, factWhen(f)),
          h("td", null, certaintyBadge(f.certainty, f.quotes[0] ? `“${f.quotes[0]}”` : undefined)),
          h("td", { class: "source-cell" }, sourceShort(f)),
        ),
      ),
    ),
  );
}

function sourceShort(f: Fact): Child {
  if (!f.source) return h("span", { class: "muted" }, "—");
  const epoch = isEpochSource(f.source, f.graph);
  const name = f.source.part_of?.label ?? f.source.label;
  return [entityLink({ iri: f.source.part_of?.iri ?? f.source.iri, id: f.source.part_of?.id ?? f.source.id, label: name }), epoch ? [h("br"), epochCredit()] : null];
}

function counterparties(f: Fact, selfIri: string): Child {
  const own = f.participants.filter((p) => p.entity.iri === selfIri).map((p) => p.role.label);
  const others = f.participants.filter((p) => p.entity.iri !== selfIri);
  return [
    others.map((p, i) => [i ? h("br") : null, entityLink(p.entity), h("span", { class: "role" }, ` (${p.role.label})`)]),
    own.length ? h("div", { class: "own-role muted" }, `as ${own.join(", ")}`) : null,
  ];
}

/** A filterable table of facts: kind, what (opens to quote and source), counterparties, amount, when, certainty. */
function factTable(facts: Fact[], selfIri: string, name: string): HTMLElement {
  const kinds = [...new Set(facts.map(kindOf))].sort();
  const certainties = CERTAINTIES.map((c) => c.label).filter((c) => facts.some((f) => f.certainty?.label === c));
  const textId = `${name}-filter`;
  const kindId = `${name}-kind`;
  const certId = `${name}-certainty`;
  const text = h("input", { id: textId, type: "search", placeholder: "Filter by name, amount or quote" }) as HTMLInputElement;
  const kind = h("select", { id: kindId }, h("option", { value: "" }, `All kinds (${kinds.length})`), kinds.map((k) => h("option", { value: k }, k))) as HTMLSelectElement;
  const cert = h("select", { id: certId }, h("option", { value: "" }, "Any certainty"), certainties.map((c) => h("option", { value: c }, c))) as HTMLSelectElement;
  const count = h("span", { class: "filter-count", role: "status" });

  const rows = facts.map((f) => {
    const haystack = [f.label, kindOf(f), f.amount?.label ?? "", ...f.participants.map((p) => p.entity.label), ...f.quotes, f.source?.label ?? ""]
      .join(" ")
      .toLowerCase();
    const row = h(
      "tr",
      { "data-kind": kindOf(f), "data-certainty": f.certainty?.label ?? "", "data-fact": f.id ?? "" },
      h("td", { class: "what" }, factDetails(f)),
      h("td", null, counterparties(f, selfIri)),
      h("td", { class: "num" }, amountView(f.amount) ?? (f.quantity ? formatNumber(f.quantity) : "")),
      h("td", null, factWhen(f)),
      h("td", null, certaintyBadge(f.certainty, f.quotes[0] ? `“${f.quotes[0]}”` : undefined), f.status ? h("div", { class: "status muted" }, f.status.label) : null),
      h("td", { class: "source-cell" }, sourceShort(f)),
    );
    return { row, haystack, kind: kindOf(f), certainty: f.certainty?.label ?? "" };
  });

  // One group of rows per kind: deals with money first, the bulk (ownership, models) last.
  const groups = kinds
    .map((k) => ({ kind: k, rows: rows.filter((r) => r.kind === k) }))
    .sort((a, b) => kindRank(a.kind) - kindRank(b.kind) || a.kind.localeCompare(b.kind));
  const bodies = groups.map((g) => {
    const header = h("tr", { class: "group" }, h("th", { colspan: 6, scope: "rowgroup" }, g.kind, h("span", { class: "muted" }, ` (${g.rows.length})`)));
    return { ...g, header, body: h("tbody", null, header, g.rows.map((r) => r.row)) };
  });
  const update = () => {
    const needle = text.value.trim().toLowerCase();
    let shown = 0;
    for (const r of rows) {
      const visible = (!needle || r.haystack.includes(needle)) && (!kind.value || r.kind === kind.value) && (!cert.value || r.certainty === cert.value);
      r.row.hidden = !visible;
      if (visible) shown += 1;
    }
    for (const b of bodies) b.header.hidden = b.rows.every((r) => r.row.hidden);
    count.textContent = shown === rows.length ? `${rows.length} facts` : `${shown} of ${rows.length} facts`;
  };
  text.addEventListener("input", update);
  kind.addEventListener("change", update);
  cert.addEventListener("change", update);
  update();

  return h(
    "div",
    { class: "fact-table" },
    h(
      "div",
      { class: "filters", role: "group", "aria-label": "Filter these facts" },
      h("label", { for: textId, class: "visually-hidden" }, "Filter by text"),
      text,
      h("label", { for: kindId, class: "visually-hidden" }, "Kind of fact"),
      kind,
      h("label", { for: certId, class: "visually-hidden" }, "Certainty"),
      cert,
      count,
      h(
        "button",
        {
          type: "button",
          class: "link-button",
          onclick: ((e: Event) => {
            const open = (e.currentTarget as HTMLButtonElement).textContent === "Expand all";
            for (const b of bodies) b.body.querySelectorAll("details").forEach((d) => ((d as HTMLDetailsElement).open = open));
            (e.currentTarget as HTMLButtonElement).textContent = open ? "Collapse all" : "Expand all";
            announce(open ? "All quotes shown" : "Quotes hidden");
          }) as EventListener,
        },
        "Expand all",
      ),
    ),
    h(
      "div",
      { class: "table-scroll" },
      h(
        "table",
        { class: "facts" },
        h("thead", null, h("tr", null, ["What (open for the quote)", "Counterparties", "Amount", "When", "Certainty", "Source"].map((c) => h("th", { scope: "col" }, c)))),
        bodies.map((b) => b.body),
      ),
    ),
  );
}

/** Where a kind of fact comes in the table: deals with money first, the bulk last. */
const KIND_ORDER = [
  "Investment",
  "Funding round",
  "Equity stake",
  "Compute agreement",
  "Acquisition",
  "Partnership",
  "Right of first refusal",
  "Exclusivity",
  "Contract term",
  "Competition",
  "Customer relationship",
  "Model evaluation",
  "Data center ownership",
  "GPU cluster ownership",
  "Model development",
];
function kindRank(kind: string): number {
  const i = KIND_ORDER.indexOf(kind);
  return i < 0 ? KIND_ORDER.length - 3.5 : i;
}

function truncationNote(entity: EntityView, id: string, asOf: string): Child {
  if (!entity.truncated) return null;
  const params = new URLSearchParams();
  if (asOf) params.set("as_of", asOf);
  params.set("limit", "2000");
  return h(
    "p",
    { class: "note" },
    `Showing the newest ${entity.facts.length} of ${formatNumber(entity.facts_total)} facts. `,
    h("a", { href: `${entityPath(id)}?${params}` }, "Show up to 2,000"),
  );
}

function timelineView(t: TimelineView): Child {
  const events = t.events;
  if (!events.length) return h("p", { class: "muted" }, "No dated facts.", t.undated ? ` ${t.undated} undated facts are listed above.` : "");
  const years = new Map<string, Fact[]>();
  for (const e of events) {
    const year = (e.when ?? "").slice(0, 4) || "?";
    years.set(year, [...(years.get(year) ?? []), e]);
  }
  return [
    h(
      "p",
      { class: "section-note" },
      `${events.length} dated facts, oldest first`,
      t.undated ? `; ${t.undated} undated facts are not placed on it` : "",
      t.truncated ? ` (the first ${t.events.length} of ${t.events_total})` : "",
      ".",
    ),
    h(
      "ol",
      { class: events.length > 30 ? "timeline long" : "timeline", tabindex: events.length > 30 ? 0 : null, "aria-label": "Dated facts by year" },
      [...years].map(([year, items]) =>
        h(
          "li",
          { class: "timeline-year" },
          h("h3", { class: "year" }, year),
          h(
            "ol",
            null,
            items.map((e) =>
              h(
                "li",
                { class: "timeline-event" },
                h("time", { datetime: e.when ?? "" }, formatDate(e.when)),
                h(
                  "div",
                  { class: "event-body" },
                  h("span", { class: "kind" }, kindOf(e)),
                  " ",
                  certaintyBadge(e.certainty),
                  " ",
                  amountView(e.amount),
                  factDetails(e),
                ),
              ),
            ),
          ),
        ),
      ),
    ),
  ];
}

function conflictsView(c: ConflictsView): Child {
  if (!c.conflicts.length)
    return h("p", { class: "muted" }, `No disagreements: ${formatNumber(c.facts_compared)} facts compared across sources.`);
  return h(
    "div",
    null,
    h(
      "p",
      { class: "section-note" },
      `${c.conflicts.length} ${c.conflicts.length === 1 ? "relationship or figure" : "relationships or figures"} on which two sources differ (${formatNumber(c.facts_compared)} facts compared).`,
    ),
    c.conflicts.map((conflict) =>
      h(
        "article",
        { class: "conflict" },
        h("h3", null, conflict.topic, h("span", { class: "differs" }, ` — differs in ${conflict.differs.join(" and ")}`)),
        h(
          "div",
          { class: "conflict-sides" },
          conflict.sides.map((side) =>
            h(
              "div",
              { class: "conflict-side" },
              h("h4", null, graphLabel(side.graph)),
              h(
                "p",
                { class: "total" },
                side.total ? `${formatNumber(side.total)} ${side.currency ?? ""}` : "no amount",
                side.cumulative ? " (cumulative)" : "",
              ),
              h("p", null, side.certainties.map((cert) => [certaintyBadge({ iri: "", label: cert }), " "])),
              side.dates.length ? h("p", { class: "muted" }, `dated ${side.dates.map(formatDate).join(", ")}`) : null,
              h("ul", { class: "plain" }, side.facts.map((f) => h("li", null, amountView(f.amount), factDetails(f)))),
            ),
          ),
        ),
      ),
    ),
  );
}

function sourcesList(entity: EntityView): HTMLElement {
  if (!entity.sources.length) return h("p", { class: "muted" }, "No sources.");
  const epoch = entity.sources.some((s) => s.source.label.startsWith("Epoch AI"));
  return h(
    "div",
    null,
    h(
      "ul",
      { class: "plain sources" },
      entity.sources.map((s) => h("li", null, entityLink(s.source), ` — ${s.facts} ${s.facts === 1 ? "fact" : "facts"}`)),
    ),
    epoch ? h("p", { class: "credit-note" }, "Rows marked Epoch AI: ", epochCredit(), ".") : null,
  );
}
