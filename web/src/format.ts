// How facts read on screen: links to entity pages, certainty badges, amounts, dates, quotes and
// sources (with Epoch AI's credit where a source is part of one of its datasets).

import { h, type Child } from "./dom";
import type { Amount, CertaintyRef, Fact, Ref, Source } from "./types";

export const ID_NAMESPACE = "https://w3id.org/dealgraph/id/";
export const DG = "https://w3id.org/dealgraph/ontology#";

/** The certainty scheme, surest first, with what each level means (dgc: on the server). */
export const CERTAINTIES: { label: string; rank: number; definition: string }[] = [
  { label: "stated", rank: 6, definition: "The source asserts the fact in its own voice, without hedging." },
  { label: "announced", rank: 5, definition: "The source says that a party publicly announced it." },
  { label: "planned", rank: 4, definition: "A party plans or intends it; it has not happened yet." },
  { label: "expected", rank: 3, definition: "The outcome is expected: a forecast, not an event that has happened." },
  { label: "anticipated", rank: 3, definition: "The event is anticipated (awaited, foreseen); it has not happened yet." },
  { label: "reported", rank: 2, definition: "The source attributes it to other reports or hearsay without confirming it." },
  { label: "speculative", rank: 1, definition: "The source presents it as a possibility or speculation." },
];

export function idFromIri(iri: string): string | null {
  return iri.startsWith(ID_NAMESPACE) ? iri.slice(ID_NAMESPACE.length) : null;
}

export function entityPath(id: string): string {
  return `/entity/${encodeURIComponent(id)}`;
}

export function refId(ref: Ref): string | null {
  return ref.id ?? idFromIri(ref.iri);
}

/** A link to the entity page of a dealgraph IRI, or plain text for anything else. */
export function entityLink(ref: Ref, attrs: Record<string, string> = {}): HTMLElement {
  const id = refId(ref);
  if (!id) return h("span", { title: ref.iri }, ref.label);
  return h("a", { href: entityPath(id), ...attrs }, ref.label);
}

export function certaintyBadge(certainty: CertaintyRef | null | undefined, extraTitle?: string): HTMLElement {
  if (!certainty) return h("span", { class: "badge certainty-unknown" }, "no certainty");
  const level = CERTAINTIES.find((c) => c.label === certainty.label);
  const title = [level ? `${certainty.label}: ${level.definition}` : certainty.label, extraTitle].filter(Boolean).join("\n\n");
  return h(
    "span",
    { class: `badge certainty certainty-${certainty.label}`, title, "data-certainty": certainty.label },
    certainty.label,
  );
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** `2024`, `2024-05` or `2024-05-31` as a person writes it. */
export function formatDate(date: string | null | undefined): string {
  if (!date) return "";
  const m = /^(-?\d{4})(?:-(\d{2}))?(?:-(\d{2}))?/.exec(date);
  if (!m) return date;
  const [, year, month, day] = m;
  if (!month) return year;
  const name = MONTHS[Number(month) - 1] ?? month;
  return day ? `${Number(day)} ${name} ${year}` : `${name} ${year}`;
}

/** ISO 8601 durations as words: P5Y → 5 years. */
export function formatDuration(duration: string | null | undefined): string {
  if (!duration) return "";
  const m = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?$/.exec(duration);
  if (!m) return duration;
  const parts: string[] = [];
  const unit = (n: string | undefined, word: string) => {
    if (n) parts.push(`${n} ${word}${n === "1" ? "" : "s"}`);
  };
  unit(m[1], "year");
  unit(m[2], "month");
  unit(m[3], "day");
  return parts.join(" ") || duration;
}

const numberFormat = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });

export function formatNumber(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === "") return "";
  const n = Number(value);
  return Number.isFinite(n) ? numberFormat.format(n) : String(value);
}

/** The amount as the source words it, with the exact figure beside it. */
export function amountView(amount: Amount | null | undefined): Child {
  if (!amount) return null;
  const exact = `${formatNumber(amount.value)}${amount.currency ? ` ${amount.currency}` : ""}`;
  const flags = [amount.approximate && "approximate", amount.lower_bound && "lower bound", amount.cumulative && "cumulative"]
    .filter(Boolean)
    .join(", ");
  return h(
    "span",
    { class: "amount", title: [exact, flags].filter(Boolean).join(" · ") },
    h("span", { class: "amount-label" }, amount.label),
    " ",
    h("span", { class: "amount-exact" }, `(${exact})`),
  );
}

/** What a fact's dates say, shortest first: a date, a range, an as-of, a duration. */
export function factWhen(fact: Fact): string {
  const parts: string[] = [];
  if (fact.date) parts.push(formatDate(fact.date));
  else if (fact.start_date || fact.end_date) {
    parts.push(
      fact.start_date && fact.end_date
        ? `${formatDate(fact.start_date)} – ${formatDate(fact.end_date)}`
        : fact.start_date
          ? `since ${formatDate(fact.start_date)}`
          : `until ${formatDate(fact.end_date)}`,
    );
  } else if (fact.as_of) parts.push(`as of ${formatDate(fact.as_of)}`);
  else if (fact.when) parts.push(formatDate(fact.when));
  if (fact.duration) parts.push(`for ${formatDuration(fact.duration)}`);
  if (!parts.length && fact.time_expression) parts.push(fact.time_expression);
  if (fact.report_date) parts.push(`reported ${formatDate(fact.report_date)}`);
  return parts.join(", ");
}

export function isEpochSource(source: Source | null | undefined, graph?: string): boolean {
  if (graph && graph.startsWith("https://w3id.org/dealgraph/graph/epoch-")) return true;
  if (!source) return false;
  return (
    source.publisher?.id === "epoch-ai" ||
    (source.part_of?.label ?? "").startsWith("Epoch AI") ||
    source.label.startsWith("Epoch AI")
  );
}

export function epochCredit(): HTMLElement {
  return h(
    "span",
    { class: "credit" },
    "Data: ",
    h("a", { href: "https://epoch.ai/data", rel: "noopener" }, "Epoch AI"),
    ", ",
    h("a", { href: "https://creativecommons.org/licenses/by/4.0/", rel: "license noopener" }, "CC BY 4.0"),
  );
}

/** The source's title (a link to its page), the dataset it is part of, its links, the credit. */
export function sourceView(source: Source | null | undefined, graph?: string): HTMLElement {
  if (!source) return h("span", { class: "muted" }, "no source");
  const links = source.links ?? [];
  return h(
    "span",
    { class: "source" },
    entityLink({ iri: source.iri, id: source.id, label: source.label }),
    source.published ? ` (${formatDate(source.published)})` : null,
    links.length
      ? h(
          "span",
          { class: "source-links" },
          " ",
          links.map((url, i) => [i ? " " : "", h("a", { href: url, rel: "noopener nofollow", class: "external" }, `[${i + 1}]`)]),
        )
      : null,
    isEpochSource(source, graph) ? [" — ", epochCredit()] : null,
  );
}

export function quotesView(fact: Fact): HTMLElement | null {
  if (!fact.quotes?.length) return null;
  return h(
    "div",
    { class: "quotes" },
    fact.quotes.map((q) => h("blockquote", { class: "quote" }, `“${q}”`)),
  );
}

/** The facts a fact is part of or refers to, as links. */
function relatedView(fact: Fact): Child {
  if (!fact.related?.length) return null;
  return h(
    "p",
    { class: "related" },
    fact.related.map((r, i) => [i ? "; " : "", `${r.property.label}: `, entityLink(r.fact)]),
  );
}

function attributesView(fact: Fact): Child {
  const attrs = (fact.attributes ?? []).filter((a) => !a.property.iri.endsWith("#isIncrement"));
  if (!attrs.length) return null;
  return h(
    "dl",
    { class: "attributes compact" },
    attrs.map((a) => [h("dt", null, a.property.label), h("dd", null, a.entity ? entityLink(a.entity) : a.value)]),
  );
}

/**
 * A fact's label that opens to its quotes, source, status, hedge and links: the "expand" of a
 * deal. The quote is also in the title, for hover.
 */
export function factDetails(fact: Fact, open = false): HTMLElement {
  const hover = fact.quotes?.length ? fact.quotes.map((q) => `“${q}”`).join("\n") : undefined;
  const id = refId(fact);
  return h(
    "details",
    { class: "fact-details", open },
    h("summary", { title: hover }, fact.label),
    h(
      "div",
      { class: "fact-body" },
      quotesView(fact),
      h(
        "p",
        { class: "fact-meta" },
        h("span", null, "Source: ", sourceView(fact.source, fact.graph)),
        fact.status ? h("span", null, ` · status: ${fact.status.label}`) : null,
        fact.hedge ? h("span", null, ` · hedge: “${fact.hedge}”`) : null,
        fact.quantity ? h("span", null, ` · quantity: ${formatNumber(fact.quantity)}`) : null,
        (fact.other_amounts ?? []).map((a) => [" · ", a.property?.label ?? "also", ": ", amountView(a)]),
      ),
      attributesView(fact),
      relatedView(fact),
      id ? h("p", { class: "fact-link" }, h("a", { href: entityPath(id) }, "This fact's own page")) : null,
    ),
  );
}

/** The fact's kind: its most specific type. */
export function kindOf(fact: Fact): string {
  return fact.types[0]?.label ?? "Fact";
}

/** The short type name for a search hit from its type IRIs (most specific dealgraph class). */
const GENERIC = new Set(["Organization", "Company", "Fact", "Deal", "Product", "Observation", "Entity", "Place", "Agent"]);
export function typeLabelFromIris(types: string[]): string {
  const local = types
    .filter((t) => t.startsWith(DG))
    .map((t) => t.slice(DG.length));
  const specific = local.find((t) => !GENERIC.has(t)) ?? local[0];
  if (specific) return splitCamel(specific);
  const any = types[0];
  return any ? splitCamel(any.replace(/.*[#/]/, "")) : "";
}

export function splitCamel(name: string): string {
  return name
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .replace(/^./, (c) => c.toUpperCase())
    .replace(/ ([A-Z])([a-z])/g, (_, a: string, b: string) => ` ${a.toLowerCase()}${b}`);
}

/** A named graph as a person reads it: `article`, `Epoch AI: gpu clusters`. */
export function graphLabel(graph: string): string {
  const local = graph.replace("https://w3id.org/dealgraph/graph/", "");
  if (local.startsWith("epoch-")) return `Epoch AI: ${local.slice(6).replace(/-/g, " ")}`;
  return local;
}
