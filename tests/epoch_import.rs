//! The Epoch AI import over the real files in `data/epoch/` and over malformed fixtures
//! (`tests/fixtures/epoch-*`): counts, facts checked by hand against the CSV files, skipped rows
//! with their line and reason, atomicity, idempotence, and one IRI per organisation shared with
//! the article. Through the library on an in-memory store, and through the binary.

mod common;

use dealgraph::import::epoch;
use dealgraph::import::{ImportError, Skipped};
use dealgraph::store::{Backend, EmbeddedStore, GraphTarget, StoreError, WriteOp};
use oxigraph::model::{GraphName, NamedNode, Quad};

/// The triples the real files give, over all the import's graphs.
const EPOCH_TRIPLES: usize = 80174;

#[test]
fn the_real_files_import_with_their_counts() {
    let store = common::article_store();
    let built = common::import_epoch(&store, "data/epoch");
    let report = &built.report;
    let files: Vec<(&str, usize, usize, usize)> = report
        .files
        .iter()
        .map(|f| (f.file.as_str(), f.rows_read, f.rows_mapped, f.facts))
        .collect();
    assert_eq!(
        files,
        vec![
            ("ai_companies/ai_companies.csv", 7, 7, 0),
            // 36 rounds, 26 of them with a post-money valuation (a dg:Valuation each).
            ("ai_companies/ai_companies_funding_rounds.csv", 36, 36, 62),
            // Line 2 (Mistral AI, "2024") gives no revenue figure.
            ("ai_companies/ai_companies_revenue_reports.csv", 34, 33, 33),
            // Line 70 (Meta, "July 2025, 3400") has no Confidence.
            ("ai_companies/ai_companies_staff_reports.csv", 42, 41, 41),
            // Lines 72 and 108 give a market share and page views, no user or token figure.
            ("ai_companies/ai_companies_usage_reports.csv", 44, 42, 42),
            ("ai_companies/ai_companies_compute_spend.csv", 11, 11, 11),
            // 58 organisation roles over the 17 data centres.
            ("data_centers/data_centers.csv", 17, 17, 58),
            ("data_centers/data_center_timelines.csv", 118, 118, 118),
            // The hardware, clusters and models: see tests/epoch_models_clusters.rs.
            ("ml_hardware/ml_hardware.csv", 170, 170, 0),
            ("gpu_clusters/gpu_clusters.csv", 786, 786, 691),
            ("ai_models/notable_ai_models.csv", 965, 962, 1442),
            ("ai_models/large_scale_ai_models.csv", 481, 480, 388),
            ("ai_models/frontier_ai_models.csv", 137, 137, 12),
        ]
    );
    assert_eq!(report.facts(), 2898);
    assert_eq!(
        report
            .skipped
            .iter()
            .filter(|s| s.file.starts_with("ai_companies/") || s.file.starts_with("data_centers/"))
            .map(|s| (s.file.as_str(), s.line))
            .collect::<Vec<_>>(),
        vec![
            ("ai_companies/ai_companies_revenue_reports.csv", 2),
            ("ai_companies/ai_companies_staff_reports.csv", 70),
            ("ai_companies/ai_companies_usage_reports.csv", 72),
            ("ai_companies/ai_companies_usage_reports.csv", 108),
        ]
    );
    // The triples of the import's graphs, as `dealgraph stats` counts them.
    assert_eq!(built.quad_count(), EPOCH_TRIPLES);
    let text = report.to_string();
    for line in [
        "total: 2848 rows read, 2898 facts, 8 rows skipped",
        "\"Coreweave\" -> <https://w3id.org/dealgraph/id/coreweave>",
        "\"Softbank\" -> <https://w3id.org/dealgraph/id/softbank>",
        "\"NVIDIA\" -> <https://w3id.org/dealgraph/id/nvidia>",
        // Every name of the company and data-centre files is reviewed; the model and cluster
        // files bring hundreds of universities and companies the table does not list.
        "\"DeepMind\" -> <https://w3id.org/dealgraph/id/google-deepmind>",
        "new (not in the alias table, IRI from the name): 539",
        "ambiguous: 0",
    ] {
        assert!(text.contains(line), "{line:?} not in the report:\n{text}");
    }
}

#[test]
fn facts_checked_by_hand_against_the_csv_files() {
    let store = common::article_store();
    common::import_epoch(&store, "data/epoch");
    let checks = [
        // ai_companies_funding_rounds.csv, row "Oct 2024 157B" (OpenAI): equity 6600000000.0,
        // debt 4000000000.0, post-money 157000000000.0, closed 2024-10-02, Confident.
        (
            "OpenAI Oct 2024 157B",
            "ASK { ?r a dg:FundingRound ; dg:investee dgr:openai ;
                      dg:amount [ dg:value 6600000000.0 ; dg:currency \"USD\" ] ;
                      dg:debtAmount [ dg:value 4000000000.0 ] ;
                      dg:date \"2024-10-02\"^^xsd:date ; dg:status dgs:completed ;
                      dg:certainty dgc:stated .
                   ?v a dg:Valuation ; dg:partOf ?r ; dg:subject dgr:openai ;
                      dg:amount [ dg:value 157000000000.0 ] ; dg:asOf \"2024-10-02\"^^xsd:date . }",
        ),
        // Row "2019 Microsoft 1B" (OpenAI): 1000000000.0 closed 2019-07-22, Confident; the Id
        // names Microsoft, so Microsoft is its investor.
        (
            "OpenAI 2019 Microsoft 1B",
            "ASK { dgr:epoch-round-openai-2019-microsoft-1b dg:investor dgr:microsoft ;
                      dg:investee dgr:openai ; dg:amount [ dg:value 1000000000.0 ] ;
                      dg:date \"2019-07-22\"^^xsd:date ; dg:certainty dgc:stated . }",
        ),
        // Row "Sep 2025 10B" (xAI): Late discussions, Likely, no close date, reported 2025-09-19,
        // post-money 200000000000.0; the quote is its Notes cell.
        (
            "xAI Sep 2025 10B",
            "ASK { dgr:epoch-round-xai-sep-2025-10b dg:status dgs:in-negotiation ;
                      dg:certainty dgc:reported ; dg:reportDate \"2025-09-19\"^^xsd:date ;
                      dg:fundingType \"Primary\" , \"Debt\" ;
                      dg:quote ?q ; prov:wasDerivedFrom ?s .
                   FILTER NOT EXISTS { dgr:epoch-round-xai-sep-2025-10b dg:date ?d }
                   FILTER STRSTARTS(?q, \"From Bloomberg, 10B in equity now\")
                   ?s a dg:SourceDocument ;
                      rdfs:label \"Epoch AI, Data on AI Companies (row Sep 2025 10B)\" ;
                      schema:publisher dgr:epoch-ai ;
                      prov:wasDerivedFrom <https://www.wsj.com/tech/ai/elon-musk-x-ai-funding-feecede1> .
                   <https://www.wsj.com/tech/ai/elon-musk-x-ai-funding-feecede1>
                      rdfs:label \"www.wsj.com/tech/ai/elon-musk-x-ai-funding-feecede1\" .
                   dgr:epoch-round-xai-sep-2025-10b-valuation dg:amount [ dg:value 200000000000.0 ] . }",
        ),
        // Row "Microsoft/Nvidia" (Anthropic): Uncertain, so speculative; Microsoft and Nvidia
        // are named in the Id.
        (
            "Anthropic Microsoft/Nvidia",
            "ASK { dgr:epoch-round-anthropic-microsoft-nvidia dg:certainty dgc:speculative ;
                      dg:investor dgr:microsoft , dgr:nvidia ;
                      dg:amount [ dg:value 15000000000.0 ] . }",
        ),
        // data_centers.csv, "Microsoft Fairwater Fayetteville Georgia": Owner
        // "Microsoft #confident", Users "OpenAI #speculative", 615 MW, 16.84 billion 2025 USD,
        // latitude 33°26'55"N.
        (
            "Fairwater Atlanta",
            "ASK { ?dc a dg:DataCenter ; rdfs:label \"Microsoft Fairwater Atlanta\" ;
                      dg:powerMW 615.0 ; schema:latitude 33.448611 ; schema:longitude -84.522222 ;
                      dg:capitalCost [ dg:value 16840000000.0 ; dg:currency \"USD\" ] .
                   ?own a dg:DataCenterOwnership ; dg:owner dgr:microsoft ; dg:dataCenter ?dc ;
                        dg:certainty dgc:stated ; dg:quote \"Microsoft #confident\" .
                   ?use a dg:CustomerRelationship ; dg:customer dgr:openai ; dg:dataCenter ?dc ;
                        dg:certainty dgc:speculative . }",
        ),
        // "Coreweave Helios Afton Texas": Owner "Coreweave #confident" is the article's CoreWeave;
        // Users "Microsoft #speculative".
        (
            "Coreweave Helios",
            "ASK { ?own dg:owner dgr:coreweave ; dg:dataCenter dgr:data-center-coreweave-helios-afton-texas ;
                        dg:certainty dgc:stated .
                   ?use dg:customer dgr:microsoft ; dg:dataCenter dgr:data-center-coreweave-helios-afton-texas ;
                        dg:certainty dgc:speculative . }",
        ),
        // "OpenAI-Oracle Stargate Abilene Texas": Investors "Softbank,OpenAI,Oracle", untagged,
        // so stated; Softbank is SoftBank.
        (
            "Stargate Abilene investors",
            "ASK { ?i a dg:Investment ; dg:investor dgr:softbank ; dg:certainty dgc:stated ;
                      dg:dataCenter dgr:data-center-openai-oracle-stargate-abilene-texas .
                   dgr:softbank rdfs:label \"SoftBank\" . }",
        ),
        // ai_companies_revenue_reports.csv, row "2022 28M" (OpenAI): 28000000.0 normalised to a
        // year, "Yearly revenue", "$28,000,000 revenue in 2022", as of 2022-12-31, reported
        // 2023-08-29, Likely.
        (
            "OpenAI revenue 2022",
            "ASK { dgr:epoch-revenue-openai-2022-28m-2022-12-31 a dg:Revenue ; dg:subject dgr:openai ;
                      dg:amount [ dg:value 28000000.0 ; dg:currency \"USD\" ] ;
                      dg:figureKind \"Yearly revenue\" ;
                      dg:sourceFigure \"$28,000,000 revenue in 2022\" ;
                      dg:asOf \"2022-12-31\"^^xsd:date ; dg:reportDate \"2023-08-29\"^^xsd:date ;
                      dg:certainty dgc:reported . }",
        ),
        // ai_companies_staff_reports.csv, row "2016, 52" (OpenAI): 52 staff, "Full company",
        // 2016-12-31, a company disclosure, Confident.
        (
            "OpenAI staff 2016",
            "ASK { ?h a dg:Headcount ; dg:subject dgr:openai ; dg:quantity 52.0 ;
                      dg:figureKind \"Full company\" ; dg:asOf \"2016-12-31\"^^xsd:date ;
                      dg:certainty dgc:stated ; prov:wasDerivedFrom ?s .
                   ?s dg:sourceType \"Company disclosure\" . }",
        ),
        // ai_companies_usage_reports.csv, two rows "ChatGPT 700M WAU" (OpenAI): 770000000.0
        // weekly users on 2025-07-15 and 700000000.0 on 2025-08-04; both kept.
        (
            "ChatGPT 700M WAU twice",
            "ASK { dgr:epoch-usage-openai-chatgpt-700m-wau-2025-07-15 a dg:UsageFigure ;
                      dg:quantity 770000000.0 ; dg:period \"Weekly\" ; dg:appliesTo \"ChatGPT\" .
                   dgr:epoch-usage-openai-chatgpt-700m-wau-2025-08-04 dg:quantity 700000000.0 . }",
        ),
        // ai_companies_compute_spend.csv, row "OpenAI 2024 inference": 1800000000, "Inference
        // cloud compute", "Year", 2024-12-31, Likely.
        (
            "OpenAI inference spend 2024",
            "ASK { ?c a dg:ComputeSpend ; dg:subject dgr:openai ;
                      dg:amount [ dg:value 1800000000.0 ] ;
                      dg:spendCategory \"Inference cloud compute\" ; dg:period \"Year\" ;
                      dg:asOf \"2024-12-31\"^^xsd:date ; dg:certainty dgc:reported . }",
        ),
        // data_center_timelines.csv, "Alibaba Zhangbei Zhangjiakou Hebei" on 2018-01-28: 76 MW,
        // 3 buildings, 2.4248485053 billion 2025 USD, 8443234211932070000 8-bit OP/s; before the
        // data's own date, so stated. "Amazon Ridgeland Mississippi" on 2027-09-21: 1008 MW, a
        // projection, so expected.
        (
            "Data-centre timelines",
            "ASK { ?a a dg:DataCenterSnapshot ;
                      dg:dataCenter dgr:data-center-alibaba-zhangbei-zhangjiakou-hebei ;
                      dg:asOf \"2018-01-28\"^^xsd:date ; dg:powerMW 76.0 ;
                      dg:buildingsOperational 3.0 ; dg:capitalCost [ dg:value 2424848505.0 ] ;
                      dg:performance8bitOps 8.44323421193207e18 ; dg:certainty dgc:stated .
                   ?b dg:dataCenter dgr:data-center-amazon-ridgeland-mississippi ;
                      dg:asOf \"2027-09-21\"^^xsd:date ; dg:powerMW 1008.0 ;
                      dg:certainty dgc:expected . }",
        ),
        // ai_companies.csv, row "Google": its organisation is Google DeepMind.
        (
            "Google DeepMind",
            "ASK { dgr:google <http://www.w3.org/ns/org#hasSubOrganization> dgr:google-deepmind .
                   dgr:google-deepmind a dg:AILab . }",
        ),
        // ai_companies.csv, row "Anthropic": Foundation, founded 2021-01-26.
        (
            "Anthropic founding",
            "ASK { dgr:anthropic a dg:AILab , dg:Company ; rdfs:label \"Anthropic\" ;
                      schema:foundingDate \"2021-01-26\"^^xsd:date ; dg:specialization \"Language\" . }",
        ),
    ];
    common::assert_all_found(&store, &checks);
}

#[test]
fn malformed_rows_are_reported_with_file_line_and_reason_and_skipped() {
    let store = common::article_store();
    let built = common::import_epoch(&store, "tests/fixtures/epoch-bad");
    let skipped: Vec<String> = built
        .report
        .skipped
        .iter()
        .map(Skipped::to_string)
        .collect();
    assert_eq!(
        skipped,
        vec![
            "ai_companies/ai_companies.csv:3: skipped: not an ISO date (YYYY-MM-DD, YYYY-MM or YYYY): \"not a date\": column \"Founding date\" holds \"not a date\"",
            "ai_companies/ai_companies_funding_rounds.csv:4: skipped: not a number: column \"Funding (equity)\" holds \"6.6 billion\"",
            "ai_companies/ai_companies_funding_rounds.csv:5: skipped: unknown value (expected one of Closed, Late discussions): column \"Status\" holds \"Rumoured\"",
            // An empty figure, a unit string in a number, an empty required column, an Id and
            // date given twice, a bad flag, an unknown tag, an unknown data centre.
            "ai_companies/ai_companies_revenue_reports.csv:3: skipped: no figure: none of the columns \"Revenue amount (normalize to annual)\", \"Annualized revenue (USD)\" holds a value",
            "ai_companies/ai_companies_revenue_reports.csv:4: skipped: not a number: column \"Revenue amount (normalize to annual)\" holds \"$28M\"",
            "ai_companies/ai_companies_staff_reports.csv:3: skipped: missing value: column \"Confidence\" is empty",
            "ai_companies/ai_companies_usage_reports.csv:3: skipped: duplicate row: another row of OpenAI has an Id and date giving <https://w3id.org/dealgraph/id/epoch-usage-openai-chatgpt-700m-wau-2025-08-04>",
            "ai_companies/ai_companies_compute_spend.csv:2: skipped: not True or False: column \"Exclude from graph view\" holds \"maybe\"",
            "data_centers/data_centers.csv:3: skipped: unknown certainty tag: #maybe: column \"Owner\" holds \"Meta #maybe\"",
            "data_centers/data_center_timelines.csv:4: skipped: unknown data centre: \"Nowhere DC\" is not a Handle of data_centers/data_centers.csv",
        ]
    );
    let by_reason: Vec<(String, usize)> = built.report.skipped_by_reason().into_iter().collect();
    assert_eq!(by_reason.len(), 9);
    // Two addresses in one cell are two source pages; a count with stray spaces reads; a figure
    // in scientific notation is a double; a snapshot after the data's date is expected.
    for check in [
        "ASK { dgr:epoch-revenue-openai-2024-1b-2024-06-30 prov:wasDerivedFrom ?s .
               ?s prov:wasDerivedFrom <https://example.com/a> , <https://example.com/b> . }",
        "ASK { ?h a dg:Headcount ; dg:quantity 52.0 . }",
        "ASK { ?a dg:asOf \"2025-01-01\"^^xsd:date ; dg:performance8bitOps 1.25e21 ;
                  dg:certainty dgc:stated . }",
        "ASK { ?b dg:asOf \"2027-01-01\"^^xsd:date ; dg:powerMW 200.0 ; dg:certainty dgc:expected . }",
    ] {
        assert!(common::ask_store(&store, check), "not found: {check}");
    }
    // The valid rows are all there: the multi-line quoted Notes with doubled quotes, the row
    // with stray whitespace (its dates at month and year precision, the Graph note as quote),
    // and the unknown organisation under a new IRI.
    assert!(common::ask_store(
        &store,
        "ASK { dgr:epoch-round-openai-good-round dg:quote \"Multi-line \\\"quoted\\\"\\nnotes\" ;
                  prov:wasDerivedFrom/prov:wasDerivedFrom <https://openai.com/index/scale-the-benefits-of-ai/> .
               dgr:epoch-round-anthropic-spaces-round dg:date \"2023-10\"^^xsd:gYearMonth ;
                  dg:reportDate \"2023\"^^xsd:gYear ; dg:status dgs:in-negotiation ;
                  dg:certainty dgc:reported ; dg:quote \"Graph note only\" .
               FILTER NOT EXISTS { dgr:epoch-round-anthropic-spaces-round dg:amount ?a }
               dgr:epoch-round-stealth-labs-unknown-org-round dg:investee dgr:stealth-labs .
               dgr:stealth-labs rdfs:label \"Stealth Labs\" . }"
    ));
    assert_eq!(
        built
            .report
            .files
            .iter()
            .map(|f| (f.rows_read, f.rows_mapped))
            .collect::<Vec<_>>(),
        vec![
            (2, 1),
            (5, 3),
            (3, 1),
            (2, 1),
            (2, 1),
            (1, 0),
            (2, 1),
            (3, 2),
            // The other files hold their header only.
            (0, 0),
            (0, 0),
            (0, 0),
            (0, 0),
            (0, 0)
        ]
    );
    assert!(
        built
            .report
            .reconciliation
            .contains("\"Stealth Labs\" -> <https://w3id.org/dealgraph/id/stealth-labs>")
    );
}

#[test]
fn an_unterminated_quote_refuses_the_whole_import_and_leaves_the_store_unchanged() {
    let store = common::article_store();
    common::import_epoch(&store, "data/epoch");
    let before = store.len().unwrap();
    let error = epoch::build(
        &common::repo().join("tests/fixtures/epoch-unterminated"),
        &common::aliases(),
    )
    .expect_err("an unterminated quote is fatal");
    match &error {
        ImportError::Malformed { file, line, .. } => {
            assert_eq!(
                (file.as_str(), *line),
                ("ai_companies/ai_companies_funding_rounds.csv", 3)
            );
        }
        other => panic!("expected a malformed file, got {other}"),
    }
    assert_eq!(store.len().unwrap(), before);
}

#[test]
fn a_write_that_breaks_the_shapes_replaces_no_graph() {
    let store = common::article_store();
    common::import_epoch(&store, "data/epoch");
    let before = store.len().unwrap();
    let graph = epoch::graph("funding-rounds");
    // A funding round with no source, quote or certainty.
    let bad = Quad::new(
        NamedNode::new_unchecked("https://w3id.org/dealgraph/id/bad-round"),
        NamedNode::new_unchecked("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
        NamedNode::new_unchecked("https://w3id.org/dealgraph/ontology#FundingRound"),
        GraphName::NamedNode(graph.clone()),
    );
    let error = store
        .write(WriteOp::ReplaceGraphs {
            graphs: vec![
                (GraphTarget::Named(epoch::graph("companies")), Vec::new()),
                (GraphTarget::Named(graph), vec![bad]),
            ],
        })
        .expect_err("refused by the shapes");
    assert!(matches!(error, StoreError::Invalid(_)), "{error}");
    assert_eq!(store.len().unwrap(), before);
}

#[test]
fn importing_twice_gives_the_same_triples() {
    let store = common::article_store();
    common::import_epoch(&store, "data/epoch");
    let once = store.len().unwrap();
    let epoch_triples = |store: &EmbeddedStore| -> usize {
        let graphs = epoch::graphs();
        store
            .stats(0)
            .unwrap()
            .graphs
            .iter()
            .filter(|(g, _)| g.as_ref().is_some_and(|g| graphs.contains(g)))
            .map(|(_, n)| n)
            .sum()
    };
    assert_eq!(epoch_triples(&store), EPOCH_TRIPLES);
    common::import_epoch(&store, "data/epoch");
    assert_eq!(store.len().unwrap(), once);
    assert_eq!(epoch_triples(&store), EPOCH_TRIPLES);
    // Replacing with the fixture's smaller import drops what the real files gave.
    common::import_epoch(&store, "tests/fixtures/epoch-bad");
    assert!(store.len().unwrap() < once);
    common::import_epoch(&store, "data/epoch");
    assert_eq!(store.len().unwrap(), once);
}

#[test]
fn the_article_and_epoch_share_one_iri_per_organisation() {
    let store = common::article_store();
    common::import_epoch(&store, "data/epoch");
    let article = "GRAPH <https://w3id.org/dealgraph/graph/article>";
    let rounds = "GRAPH <https://w3id.org/dealgraph/graph/epoch-funding-rounds>";
    let centers = "GRAPH <https://w3id.org/dealgraph/graph/epoch-data-centers>";
    for (org, query) in [
        (
            "OpenAI",
            format!(
                "ASK {{ {article} {{ ?a dg:customer dgr:openai }} {rounds} {{ ?r a dg:FundingRound ; dg:investee dgr:openai }} }}"
            ),
        ),
        (
            "Microsoft",
            format!(
                "ASK {{ {article} {{ ?a dg:investor dgr:microsoft }} {rounds} {{ ?r dg:investor dgr:microsoft }} }}"
            ),
        ),
        (
            "CoreWeave",
            format!(
                "ASK {{ {article} {{ ?a dg:provider dgr:coreweave }} {centers} {{ ?o dg:owner dgr:coreweave }} }}"
            ),
        ),
        (
            "Nvidia",
            format!(
                "ASK {{ {article} {{ ?a dg:investor dgr:nvidia }} {rounds} {{ ?r dg:investor dgr:nvidia }} }}"
            ),
        ),
    ] {
        assert!(common::ask_store(&store, &query), "{org}: {query}");
    }
    // And no second node under another spelling.
    assert!(!common::ask_store(
        &store,
        "ASK { ?o rdfs:label ?l . FILTER(?o != dgr:coreweave && LCASE(STR(?l)) = \"coreweave\") }"
    ));
}

/// The binary, run from the repository with the repository's seed directories.
fn dealgraph(args: &[&str]) -> std::process::Output {
    common::dealgraph()
        .args(args)
        .current_dir(common::repo())
        .output()
        .expect("run dealgraph")
}

#[test]
fn the_cli_prints_counts_skipped_rows_and_the_reconciliation() {
    let out = dealgraph(&["import", "epoch", "data/epoch", "--memory"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for line in [
        "ai_companies/ai_companies_funding_rounds.csv: 36 rows read, 36 mapped, 0 skipped, 62 facts",
        "ai_companies/ai_companies_staff_reports.csv:70: skipped: missing value: column \"Confidence\" is empty",
        "total: 2848 rows read, 2898 facts, 8 rows skipped",
        "80174 triples written into 11 graphs, replacing them",
        "credit: Epoch AI",
    ] {
        assert!(stdout.contains(line), "{line:?} not in:\n{stdout}");
    }

    let out = dealgraph(&[
        "import",
        "epoch",
        "tests/fixtures/epoch-bad",
        "--aliases",
        "data/aliases.tsv",
        "--memory",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains(
        "ai_companies/ai_companies_funding_rounds.csv:4: skipped: not a number: column \"Funding (equity)\" holds \"6.6 billion\""
    ));
    assert!(stdout.contains("  skipped 1: unknown certainty tag"));

    let out = dealgraph(&[
        "import",
        "epoch",
        "tests/fixtures/epoch-unterminated",
        "--aliases",
        "data/aliases.tsv",
        "--memory",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("nothing was written")
            && stderr.contains("ai_companies/ai_companies_funding_rounds.csv:3: a quoted field opened here is never closed"),
        "{stderr}"
    );
}

#[test]
fn the_default_store_is_seeded_with_the_epoch_import() {
    let out = dealgraph(&[
        "query",
        "--memory",
        "ASK { GRAPH <https://w3id.org/dealgraph/graph/epoch-funding-rounds> { ?r ?p ?o } }",
        "--format",
        "json",
    ]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("true"));
}
