// The landing page: a search box, ways in for a first visit, and what the graph holds.

import { api } from "../api";
import { errorBox, h } from "../dom";
import { certaintyBadge, entityLink, entityPath, epochCredit, formatNumber } from "../format";
import { navigate, setTitle, type RouteContext } from "../router";
import { Autocomplete } from "../search";

export async function homeView(ctx: RouteContext): Promise<void> {
  setTitle("");
  const input = h("input", {
    id: "home-search",
    type: "search",
    placeholder: "Try “corew”, “AWS” or “Stargate”",
    spellcheck: "false",
  }) as HTMLInputElement;
  const box = h("div", { class: "combo combo-large" }, input);
  const form = h(
    "form",
    { class: "hero-search", role: "search", action: "/" },
    h("label", { for: "home-search" }, "Find a company, product, data centre or deal"),
    box,
  );
  new Autocomplete({ input, container: box, bindForm: true, limit: 10, onSelect: (hit) => navigate(entityPath(hit.id)) });

  const stats = h("section", { class: "home-stats", "aria-labelledby": "stats-h" }, h("h2", { id: "stats-h" }, "What the graph holds"), h("p", { class: "loading" }, "Counting…"));

  ctx.root.append(
    h(
      "section",
      { class: "hero" },
      h("h1", null, "The AI-infrastructure market, fact by fact"),
      h(
        "p",
        { class: "lede" },
        "Who funds whom, who buys compute from whom, on what terms, since when — and according to whom. ",
        "Every fact shows its source, the exact quote it rests on and how sure the source is.",
      ),
      form,
    ),
    h(
      "section",
      { class: "starts", "aria-labelledby": "starts-h" },
      h("h2", { id: "starts-h" }, "Ways in"),
      h(
        "ul",
        { class: "cards" },
        card("/entity/coreweave", "CoreWeave", "A GPU cloud: its deals, customers, investors and figures, with the quote behind each."),
        card("/network?focus=coreweave", "The network around CoreWeave", "Click a company to expand it; filter by kind of deal, date and certainty."),
        card("/paths?from=microsoft&to=coreweave", "How is Microsoft connected to CoreWeave?", "The shortest chains of deals between two companies, in words."),
        card("/workbench?example=01-who-invested-in-openai", "Who invested in OpenAI?", "Run or adapt one of the example SPARQL queries."),
      ),
    ),
    stats,
  );

  try {
    const s = await api.stats(ctx.signal);
    const facts = s.certainty.reduce((n, c) => n + c.count, 0);
    stats.replaceChildren(
      h("h2", { id: "stats-h" }, "What the graph holds"),
      h(
        "p",
        null,
        `${formatNumber(facts)} facts from ${formatNumber(s.sources.length)} sources, ${formatNumber(s.triples)} triples in ${s.graphs.length} named graphs`,
        s.last_write ? `; last written ${new Date(s.last_write).toLocaleString()}` : "",
        ".",
      ),
      h(
        "div",
        { class: "stats-grid" },
        h(
          "div",
          null,
          h("h3", null, "How sure the sources are"),
          h(
            "ul",
            { class: "plain" },
            s.certainty
              .slice()
              .sort((a, b) => b.count - a.count)
              .map((c) => h("li", null, certaintyBadge({ iri: c.iri, label: c.label }), " ", formatNumber(c.count))),
          ),
        ),
        h(
          "div",
          null,
          h("h3", null, "Sources"),
          h(
            "ul",
            { class: "plain" },
            s.sources.map((src) => h("li", null, entityLink(src), ` — ${formatNumber(src.count)} facts`, src.label.startsWith("Epoch AI") ? [" — ", epochCredit()] : null)),
          ),
        ),
        h(
          "div",
          null,
          h("h3", null, "Kinds of fact"),
          h(
            "ul",
            { class: "plain columns" },
            s.relations.slice(0, 14).map((r) => h("li", null, `${r.label}: ${formatNumber(r.count)}`)),
          ),
        ),
      ),
    );
  } catch (e) {
    if ((e as Error).name === "AbortError") return;
    stats.replaceChildren(h("h2", { id: "stats-h" }, "What the graph holds"), errorBox(e, "The statistics"));
  }
}

function card(href: string, title: string, text: string): HTMLElement {
  return h("li", { class: "card" }, h("a", { href }, h("strong", null, title)), h("p", null, text));
}
