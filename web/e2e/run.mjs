#!/usr/bin/env node
// End-to-end tests of dealgraph's web UI in headless Chromium, driven by playwright-core.
//
//   node web/e2e/run.mjs BASE_URL [SCREENSHOT_DIR]
//
// BASE_URL is a running dealgraph server that serves the built UI (web/dist) and the API on the
// same origin, e.g. http://127.0.0.1:7878 (or `npx vite preview` with its proxy). Screenshots
// of the main screens go to SCREENSHOT_DIR (default: web/e2e/screenshots).
//
// It runs five journeys, each in a fresh page: search to an entity page, expand the network,
// find a path, run an example query and check its rows, open a deep link and go back.
// Exit status: 0 when every journey passed, 1 when one failed (each failure is printed with
// what was expected), 2 when the run could not start (bad arguments, no Chromium, no server).
//
// Chromium is Debian's (/usr/bin/chromium, or $CHROMIUM); no browser is downloaded. Every wait
// has a deadline, the whole run has one (E2E_DEADLINE_MS, default 240 s), and the browser is
// closed and its temporary profile removed whatever happens.

import { chromium } from "playwright-core";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const [baseArg, shotsArg] = process.argv.slice(2);
if (!baseArg || baseArg === "-h" || baseArg === "--help" || !/^https?:\/\//.test(baseArg)) {
  console.error("usage: node web/e2e/run.mjs BASE_URL [SCREENSHOT_DIR]\n  e.g. node web/e2e/run.mjs http://127.0.0.1:7878 target/ui-screenshots");
  process.exit(2);
}
const BASE = baseArg.replace(/\/+$/, "");
const SHOTS = resolve(shotsArg ?? join(here, "screenshots"));
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const STEP = Number(process.env.E2E_STEP_TIMEOUT_MS ?? 20_000); // one wait
const DEADLINE = Number(process.env.E2E_DEADLINE_MS ?? 240_000); // the whole run
const QUERIES = resolve(here, "../../queries"); // the repository's example queries, if present

class Failure extends Error {}
function expect(condition, message) {
  if (!condition) throw new Failure(message);
}

// --- before the browser: is there a server with the UI? ------------------------------------

async function preflight() {
  if (!existsSync(CHROMIUM)) {
    return `no Chromium at ${CHROMIUM}: install Debian's (apt-get install -y chromium) or set CHROMIUM`;
  }
  const get = async (path) => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 10_000);
    try {
      return await fetch(BASE + path, { signal: controller.signal, headers: { Accept: "text/html,application/json" } });
    } finally {
      clearTimeout(timer);
    }
  };
  try {
    const page = await get("/entity/coreweave");
    const html = await page.text();
    if (!page.ok || !html.includes('id="search"')) {
      return `${BASE}/entity/coreweave is not the UI's index.html (status ${page.status}); is web/dist built and served?`;
    }
    const api = await get("/api/search?q=corew&limit=1");
    if (!api.ok) return `${BASE}/api/search answers ${api.status}`;
  } catch (e) {
    return `nothing answers at ${BASE} (${e.cause?.code ?? e.message})`;
  }
  return null;
}

// --- helpers ------------------------------------------------------------------------------

async function shot(page, name) {
  const path = join(SHOTS, `${name}.png`);
  await page.screenshot({ path, timeout: STEP });
  return path;
}

async function waitForText(locator, pattern, what) {
  try {
    await locator.filter({ hasText: pattern }).first().waitFor({ state: "visible", timeout: STEP });
  } catch {
    const seen = (await locator.allInnerTexts().catch(() => [])).join(" | ").slice(0, 300);
    throw new Failure(`expected ${what} to show ${pattern}, saw: ${seen || "(nothing)"}`);
  }
}

async function waitForUrl(page, pattern, what) {
  try {
    await page.waitForURL(pattern, { timeout: STEP });
  } catch {
    throw new Failure(`expected ${what}: the address to match ${pattern}, it is ${page.url()}`);
  }
}

async function graphCounts(page) {
  return page.locator("#cy").evaluate((el) => ({ nodes: Number(el.dataset.nodes ?? 0), edges: Number(el.dataset.edges ?? 0) }));
}

// --- the journeys ------------------------------------------------------------------------------

const journeys = [
  {
    name: "search to an entity page",
    async run(page) {
      await page.goto(`${BASE}/`, { timeout: STEP });
      await shot(page, "home");
      const search = page.locator("#search");
      await search.click();
      await search.pressSequentially("corew", { delay: 40 });
      const options = page.locator("#search-box [role=option]");
      await options.first().waitFor({ timeout: STEP });
      const first = (await options.first().locator(".suggestion-label").innerText()).trim();
      expect(first === "CoreWeave", `the first suggestion for "corew" should be CoreWeave, it is ${first}`);
      const why = await options.first().locator(".suggestion-why").innerText();
      expect(why.length > 0, "a suggestion should say why it matched");
      // The keyboard: ArrowDown highlights the first suggestion, Escape closes the list.
      await search.press("ArrowDown");
      expect((await options.first().getAttribute("aria-selected")) === "true", "ArrowDown should highlight the first suggestion");
      expect(!!(await search.getAttribute("aria-activedescendant")), "the input should point at the highlighted suggestion");
      await search.press("Escape");
      expect((await search.getAttribute("aria-expanded")) === "false", "Escape should close the suggestions");
      await search.press("Enter");
      await waitForUrl(page, /\/entity\/coreweave$/, "Enter to open CoreWeave");
      await waitForText(page.locator("h1"), /^CoreWeave$/, "the heading");

      const deals = page.locator("#deals");
      await waitForText(deals, /\$11\.9 billion/, "the deals section");
      const row = deals.locator("tbody tr", { hasText: "$11.9 billion" }).first();
      const rowText = await row.innerText();
      expect(rowText.includes("11,900,000,000"), `the $11.9 billion deal should show the exact amount 11,900,000,000: ${rowText}`);
      expect(rowText.includes("OpenAI"), `the $11.9 billion deal should name OpenAI: ${rowText}`);
      const badge = (await row.locator(".badge.certainty").innerText()).trim();
      expect(badge === "stated", `the $11.9 billion deal should be stated, its badge says ${badge}`);
      // The quote: on hover (title) and on expand.
      const summary = row.locator("summary");
      expect(((await summary.getAttribute("title")) ?? "").includes("$11.9 billion"), "the deal's quote should be in its hover title");
      await summary.click();
      await waitForText(row.locator(".quote"), /11\.9 billion/, "the expanded quote");
      await waitForText(row.locator(".fact-meta"), /OpenAI, Oracle expand AI computing infrastructure/, "the source of the deal");
      await waitForText(page.locator("#timeline"), /\d{4}/, "the timeline");
      // Downloads: Turtle through fetch with Accept (a link cannot set it), GEXF from the export.
      const [turtle] = await Promise.all([
        page.waitForEvent("download", { timeout: STEP }),
        page.getByRole("button", { name: "Turtle" }).click(),
      ]);
      expect(turtle.suggestedFilename() === "coreweave.ttl", `the Turtle download should be coreweave.ttl, it is ${turtle.suggestedFilename()}`);
      const ttl = readFileSync(await turtle.path(), "utf8");
      expect(ttl.includes("coreweave") && !ttl.trimStart().startsWith("<!doctype"), `the Turtle download should describe CoreWeave: ${ttl.slice(0, 120)}`);
      const gexf = await page.getByRole("link", { name: "GEXF" }).getAttribute("href");
      expect(gexf === "/api/export?format=gexf&focus=coreweave", `the GEXF link should be the export of coreweave: ${gexf}`);
      // The picture: the deals, with the expanded quote, under the page's sticky header.
      await page.evaluate(() => window.scrollTo(0, document.querySelector("#deals").getBoundingClientRect().top + window.scrollY - 100));
      await shot(page, "entity");
    },
  },
  {
    name: "expand the network",
    async run(page) {
      await page.goto(`${BASE}/network?focus=coreweave`, { timeout: STEP });
      await page.waitForFunction(() => Number(document.querySelector("#cy")?.dataset.nodes ?? 0) > 0, null, { timeout: STEP * 2 });
      const before = await graphCounts(page);
      expect(before.nodes >= 7, `the network of CoreWeave should draw at least 7 nodes, it draws ${before.nodes}`);
      await waitForText(page.locator(".legend"), /Legend/, "the legend");
      // Click OpenAI on the canvas, where cytoscape drew it.
      const box = await page.locator("#cy").boundingBox();
      const at = await page.evaluate(() => {
        const cy = window.__dealgraphCy;
        const node = cy?.nodes().filter((n) => n.data("entity") === "openai").first();
        return node && node.nonempty() ? node.renderedPosition() : null;
      });
      expect(at, "OpenAI should be drawn in the network of CoreWeave");
      // What the click should add: OpenAI's one-hop neighbours that are not drawn yet.
      const drawn = await page.evaluate(() => window.__dealgraphCy.nodes().map((n) => n.id()));
      const around = await (await fetch(`${BASE}/api/graph?focus=openai&depth=1`)).json();
      const fresh = around.nodes.filter((n) => !drawn.includes(n.iri)).length;
      await page.mouse.click(box.x + at.x, box.y + at.y);
      await waitForUrl(page, /expand=openai/, "the expanded node to be in the address");
      await page.waitForFunction(
        ([n, m]) => {
          const el = document.querySelector("#cy");
          return Number(el?.dataset.nodes ?? 0) > n || Number(el?.dataset.edges ?? 0) > m;
        },
        [before.nodes, before.edges],
        { timeout: STEP * 2 },
      );
      const after = await graphCounts(page);
      expect(
        after.nodes === before.nodes + fresh,
        `clicking OpenAI should add its ${fresh} neighbours not drawn yet (${before.nodes} nodes before, ${after.nodes} after)`,
      );
      // With Epoch AI's data OpenAI has dozens of neighbours; the article alone adds only edges.
      expect(after.edges > before.edges, `clicking OpenAI should add edges (${before.edges} before, ${after.edges} after)`);
      await waitForText(page.locator(".net-details"), /OpenAI/, "the selection panel");
      await page.waitForTimeout(700); // the layout's animation settles before the picture
      await shot(page, "network");
    },
  },
  {
    name: "find a path",
    async run(page) {
      await page.goto(`${BASE}/paths`, { timeout: STEP });
      const from = page.getByLabel("From", { exact: true });
      await from.click();
      await from.pressSequentially("microsoft", { delay: 30 });
      await page.locator(".paths-form [role=option]:visible").first().waitFor({ timeout: STEP });
      await from.press("Enter");
      const to = page.getByLabel("To", { exact: true });
      await to.click();
      await to.pressSequentially("corew", { delay: 30 });
      await page.locator(".paths-form [role=option]:visible").first().waitFor({ timeout: STEP });
      await to.press("Enter");
      await page.getByRole("button", { name: "Find connections" }).click();
      await waitForUrl(page, /\/paths\?from=microsoft&to=coreweave/, "the path's address");
      await waitForText(page.locator(".path-sentence"), /Microsoft buys compute from CoreWeave/, "the path");
      await shot(page, "paths");
      // The same path, highlighted on the network.
      await page.getByRole("link", { name: "Show on the network" }).click();
      await waitForUrl(page, /\/network\?.*from=microsoft.*to=coreweave/, "the network with the path");
      await page.waitForFunction(() => !!document.querySelector("#cy")?.dataset.path, null, { timeout: STEP * 2 });
      const sentence = await page.locator("#cy").getAttribute("data-path");
      expect(/Microsoft buys compute from CoreWeave/.test(sentence), `the highlighted path should be "Microsoft buys compute from CoreWeave", it is ${sentence}`);
      const lit = await page.evaluate(() => window.__dealgraphCy?.edges(".path").length ?? 0);
      expect(lit >= 1, "the path's edge should be highlighted");
      await page.waitForTimeout(500);
      await shot(page, "network-path");
    },
  },
  {
    name: "run an example query and check its rows",
    async run(page) {
      const name = "01-who-invested-in-openai";
      await page.goto(`${BASE}/workbench`, { timeout: STEP });
      await page.locator(`.examples a[href="/workbench?example=${name}"]`).click({ timeout: STEP });
      await waitForUrl(page, new RegExp(`/workbench\\?example=${name}$`), "the example's address");
      await waitForText(page.locator(".run-status"), /\d+ rows/, "the run status");

      // What the endpoint itself answers to the same query, and the tested expectation.
      const text = await (await fetch(`${BASE}/queries/${name}`)).text();
      const answer = await (
        await fetch(`${BASE}/sparql`, {
          method: "POST",
          headers: { "Content-Type": "application/sparql-query", Accept: "application/sparql-results+json" },
          body: text,
        })
      ).json();
      const expected = answer.results.bindings;
      const rows = page.locator(".yasr table tbody tr");
      const count = await rows.count();
      expect(count === expected.length, `the table should have the endpoint's ${expected.length} rows, it has ${count}`);
      const table = (await rows.allInnerTexts()).join("\n");
      const id = (iri) => iri.replace("https://w3id.org/dealgraph/id/", "dgr:");
      for (const b of expected) {
        expect(table.includes(id(b.deal.value)), `the table should list ${id(b.deal.value)}`);
        expect(table.includes(b.investorLabel.value), `the table should list ${b.investorLabel.value}`);
      }
      // The answer tested in queries/ (the article's) must be among the rows.
      const srj = join(QUERIES, `${name}.srj`);
      if (existsSync(srj)) {
        for (const b of JSON.parse(readFileSync(srj, "utf8")).results.bindings) {
          expect(table.includes(id(b.deal.value)), `the table should hold ${id(b.deal.value)} from ${name}.srj`);
          if (b.value) expect(table.includes(b.value.value), `the table should hold the amount ${b.value.value} from ${name}.srj`);
        }
      }
      const link = page.locator('.yasr a.iri[href="/entity/microsoft"]').first();
      expect((await link.count()) === 1, "dgr:microsoft should link to /entity/microsoft");
      await shot(page, "workbench");

      // A syntax error is shown with its position.
      await page.goto(`${BASE}/workbench?query=${encodeURIComponent("SELECT * WHERE {\n  ?s ?p\n}")}`, { timeout: STEP });
      await waitForText(page.locator(".error-position"), /Line \d+, column \d+/, "the syntax error's position");
      // A results link goes to the entity page.
      await page.goto(`${BASE}/workbench?example=${name}`, { timeout: STEP });
      await waitForText(page.locator(".run-status"), /\d+ rows/, "the run status");
      await page.locator('.yasr a.iri[href="/entity/microsoft"]').first().click();
      await waitForUrl(page, /\/entity\/microsoft$/, "the results link to Microsoft's page");
      await waitForText(page.locator("h1"), /^Microsoft$/, "Microsoft's heading");
    },
  },
  {
    name: "open a deep link and go back",
    async run(page) {
      await page.goto(`${BASE}/entity/openai`, { timeout: STEP });
      await waitForText(page.locator("h1"), /^OpenAI$/, "the heading of the deep link");
      expect((await page.title()).startsWith("OpenAI"), `the title should name OpenAI: ${await page.title()}`);
      await waitForText(page.locator("#summary .counts"), /^[\d,]+ facts from \d+ sources; [1-9][\d,]* connected entities\.$/, "OpenAI's counts");
      await page.locator("#summary a[href='/entity/microsoft']").first().click({ timeout: STEP });
      await waitForUrl(page, /\/entity\/microsoft$/, "the link to Microsoft");
      await waitForText(page.locator("h1"), /^Microsoft$/, "Microsoft's heading");
      await page.goBack({ timeout: STEP });
      await waitForUrl(page, /\/entity\/openai$/, "back to OpenAI");
      await waitForText(page.locator("h1"), /^OpenAI$/, "the heading after going back");
      // A deep link into the network with an expanded node and filters.
      await page.goto(`${BASE}/network?focus=openai&expand=microsoft&certainty=stated`, { timeout: STEP });
      await page.waitForFunction(() => Number(document.querySelector("#cy")?.dataset.nodes ?? 0) > 0, null, { timeout: STEP * 2 });
      const expanded = await page.evaluate(() => window.__dealgraphCy?.nodes(".expanded").map((n) => n.data("entity")) ?? []);
      expect(expanded.includes("microsoft"), `the deep link should expand Microsoft, expanded: ${expanded.join(", ")}`);
      expect(await page.locator("input[value=stated]").isChecked(), "the certainty filter from the address should be ticked");
      // An unknown entity says so.
      await page.goto(`${BASE}/entity/no-such-entity-xyz`, { timeout: STEP });
      await waitForText(page.locator(".error-box"), /not in the graph/, "the unknown entity's message");
    },
  },
];

// --- the run ---------------------------------------------------------------------------------

async function main() {
  const problem = await preflight();
  if (problem) {
    console.error(`e2e: cannot start: ${problem}`);
    return 2;
  }
  mkdirSync(SHOTS, { recursive: true });
  for (const stale of readdirSync(SHOTS).filter((f) => /^failed-\d+\.png$/.test(f))) rmSync(join(SHOTS, stale));
  const profile = mkdtempSync(join(tmpdir(), "dealgraph-e2e-"));
  let context;
  const started = Date.now();
  let failed = 0;
  const killer = setTimeout(() => {
    console.error(`e2e: the whole run passed its deadline of ${DEADLINE} ms`);
    context?.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
    process.exit(1);
  }, DEADLINE);
  const stop = (signal) => {
    console.error(`e2e: ${signal}, closing the browser`);
    context?.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
    process.exit(1);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
      viewport: { width: 1440, height: 900 },
      timeout: 30_000,
    });
    context.setDefaultTimeout(STEP);
    console.log(`e2e: ${journeys.length} journeys against ${BASE}, screenshots in ${SHOTS}`);
    for (const journey of journeys) {
      const page = await context.newPage();
      const errors = [];
      page.on("pageerror", (e) => errors.push(e.message));
      const t = Date.now();
      try {
        await journey.run(page);
        expect(errors.length === 0, `the page threw: ${errors.join("; ")}`);
        console.log(`ok - ${journey.name} (${Date.now() - t} ms)`);
      } catch (e) {
        failed += 1;
        const message = e instanceof Failure ? e.message : `${e.name}: ${e.message.split("\n")[0]}`;
        console.log(`not ok - ${journey.name}: ${message}`);
        await page.screenshot({ path: join(SHOTS, `failed-${journeys.indexOf(journey) + 1}.png`) }).catch(() => {});
      } finally {
        await page.close().catch(() => {});
      }
    }
  } catch (e) {
    console.error(`e2e: the browser failed: ${e.message.split("\n")[0]}`);
    return 2;
  } finally {
    clearTimeout(killer);
    await context?.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
  }
  console.log(`e2e: ${journeys.length - failed} of ${journeys.length} journeys passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return failed ? 1 : 0;
}

process.exit(await main());
