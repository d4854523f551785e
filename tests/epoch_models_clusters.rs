//! The Epoch AI import of the GPU cluster, AI model and ML hardware files: counts of the real
//! files, facts checked by hand against the CSV files in `data/epoch/`, and a malformed fixture
//! (`tests/fixtures/epoch-models-bad/`) whose bad rows are reported with their file, line and
//! reason while its good rows are imported. Through the library on an in-memory store.

mod common;

use dealgraph::import::Skipped;
use dealgraph::import::epoch::{self, EpochImport};

/// The files of this part of the import, in the order the report lists them.
const FILES: &[&str] = &[
    "ml_hardware/ml_hardware.csv",
    "gpu_clusters/gpu_clusters.csv",
    "ai_models/notable_ai_models.csv",
    "ai_models/large_scale_ai_models.csv",
    "ai_models/frontier_ai_models.csv",
];

/// The number of triples the import gives a graph of its own.
fn triples(built: &EpochImport, stem: &str) -> usize {
    let graph = epoch::graph(stem);
    built
        .graphs
        .iter()
        .find(|(g, _)| matches!(g, dealgraph::store::GraphTarget::Named(n) if *n == graph))
        .map_or(0, |(_, quads)| quads.len())
}

#[test]
fn the_real_files_give_their_counts() {
    let store = common::article_store();
    let built = common::import_epoch(&store, "data/epoch");
    let report = &built.report;
    let files: Vec<(&str, usize, usize, usize)> = report
        .files
        .iter()
        .filter(|f| FILES.contains(&f.file.as_str()))
        .map(|f| (f.file.as_str(), f.rows_read, f.rows_mapped, f.facts))
        .collect();
    assert_eq!(
        files,
        vec![
            // 170 chips; the maker is an attribute of the chip, not a fact node.
            ("ml_hardware/ml_hardware.csv", 170, 170, 0),
            // Every cluster, the 257 rows named "Anonymized Chinese System" included (all but
            // the first get their line in their IRI). 691 owner and user fact nodes.
            ("gpu_clusters/gpu_clusters.csv", 786, 786, 691),
            // Three rows give two numbers as "Training dataset size (gradients)".
            ("ai_models/notable_ai_models.csv", 965, 962, 1442),
            // "CALM" (NVIDIA) has the IRI of the notable file's "CaLM" (Oxford): skipped.
            // The facts are those of models the notable file does not list.
            ("ai_models/large_scale_ai_models.csv", 481, 480, 388),
            ("ai_models/frontier_ai_models.csv", 137, 137, 12),
        ]
    );
    let skipped: Vec<String> = report
        .skipped
        .iter()
        .filter(|s| FILES.contains(&s.file.as_str()))
        .map(Skipped::to_string)
        .collect();
    assert_eq!(
        skipped,
        vec![
            "ai_models/notable_ai_models.csv:3643: skipped: not a number: column \"Training dataset size (gradients)\" holds \"2260275840,2290000001\"",
            "ai_models/notable_ai_models.csv:3841: skipped: not a number: column \"Training dataset size (gradients)\" holds \"327978752,192851506176\"",
            "ai_models/notable_ai_models.csv:4200: skipped: not a number: column \"Training dataset size (gradients)\" holds \"14180000,14180000\"",
            "ai_models/large_scale_ai_models.csv:3338: skipped: duplicate IRI: the model \"CaLM\" of an earlier row has the IRI <https://w3id.org/dealgraph/id/model-calm>",
        ]
    );
    // Two references to clusters the file does not have; no conflict between the model files.
    assert_eq!(
        report.notes,
        vec![
            "gpu_clusters/gpu_clusters.csv:844: column \"Possible Duplicate Of\" names \"Alibaba MLPerf 0.7 Submission\", no cluster of the file: kept as a comment, not linked",
            "gpu_clusters/gpu_clusters.csv:851: column \"Possible Duplicate Of\" names \"Alibaba MLPerf 0.7 Submission\", no cluster of the file: kept as a comment, not linked",
            "gpu_clusters/gpu_clusters.csv:1014: column \"Builds Upon\" names \"Cambridge Dawn Phase 1\", no cluster of the file: kept as a comment, not linked",
        ]
    );
    // The triples of the three graphs, as `dealgraph stats` counts them.
    assert_eq!(
        (
            triples(&built, "hardware"),
            triples(&built, "gpu-clusters"),
            triples(&built, "models"),
        ),
        (4020, 23203, 43205)
    );
}

#[test]
fn facts_checked_by_hand_against_the_csv_files() {
    let store = common::article_store();
    common::import_epoch(&store, "data/epoch");
    let checks = [
        // gpu_clusters.csv line 2, "xAI 5 year plan": the most H100 equivalents of any cluster
        // (50025265.28623454), Planned, Certainty Unlikely, Owner xAI, no chip type.
        (
            "the biggest cluster by H100 equivalents",
            "ASK { ?c a dg:GPUCluster ; rdfs:label \"xAI 5 year plan\" ;
                      dg:h100Equivalents 50025265.28623454 ;
                      dg:operationalStatus dgos:planned .
                   FILTER NOT EXISTS { ?other a dg:GPUCluster ; dg:h100Equivalents ?more .
                                       FILTER(?more > 50025265.28623454) }
                   FILTER NOT EXISTS { ?c dg:primaryChip ?chip }
                   ?own a dg:GPUClusterOwnership ; dg:owner dgr:xai ; dg:gpuCluster ?c ;
                        dg:certainty dgc:speculative . }",
        ),
        // "xAI Colossus Memphis Phase 2": Existing, Likely, Owner and Users xAI, 200000.000002945
        // H100e, 150000 NVIDIA H100 SXM5 80GB and 50000 NVIDIA H200 SXM, 200000 chips in all,
        // 280.28 MW, first operational 2025-02-18, Hardware Cost 7120201208.681584 (to the
        // dollar), Builds Upon Phase 1, Superseded by Phase 3; its Quote opens "This weekend".
        (
            "Colossus Phase 2",
            "ASK { dgr:gpu-cluster-xai-colossus-memphis-phase-2 a dg:GPUCluster ;
                      dg:operationalStatus dgos:existing ;
                      dg:h100Equivalents 200000.000002945 ; dg:powerMW 280.28 ;
                      dg:primaryChip dgr:chip-nvidia-h100-sxm5-80gb ; dg:primaryChipQuantity 150000.0 ;
                      dg:secondaryChip dgr:chip-nvidia-h200-sxm ; dg:secondaryChipQuantity 50000.0 ;
                      dg:chipCount 200000.0 ;
                      dg:firstOperationalDate \"2025-02-18\"^^xsd:date ;
                      dg:hardwareCost [ dg:value 7120201209.0 ; dg:currency \"USD\" ] ;
                      dg:buildsUpon dgr:gpu-cluster-xai-colossus-memphis-phase-1 ;
                      dg:supersededBy dgr:gpu-cluster-xai-colossus-memphis-phase-3 ;
                      prov:wasDerivedFrom ?source .
                   ?source prov:wasDerivedFrom <https://archive.ph/z39uN> .
                   ?own a dg:GPUClusterOwnership ; dg:owner dgr:xai ;
                        dg:gpuCluster dgr:gpu-cluster-xai-colossus-memphis-phase-2 ;
                        dg:certainty dgc:reported ; prov:wasDerivedFrom ?source ; dg:quote ?q .
                   FILTER STRSTARTS(?q, \"This weekend, the \\n@xAI\\n team\")
                   ?use a dg:CustomerRelationship ; dg:customer dgr:xai ;
                        dg:gpuCluster dgr:gpu-cluster-xai-colossus-memphis-phase-2 . }",
        ),
        // "xAI Colossus Memphis Phase 1": Certainty Confirmed, so its owner fact is stated.
        (
            "Colossus Phase 1 owner, confirmed",
            "ASK { ?own dg:owner dgr:xai ; dg:gpuCluster dgr:gpu-cluster-xai-colossus-memphis-phase-1 ;
                        dg:certainty dgc:stated . }",
        ),
        // "OpenAI Stargate Abilene Oracle OCI Supercluster Phase 1": Planned, Likely, Owner
        // Oracle, Users "Cloud,Microsoft,OpenAI": Microsoft and OpenAI are customers, "Cloud"
        // is no organisation and stays in the cell's words.
        (
            "Stargate Abilene users",
            "ASK { ?c rdfs:label \"OpenAI Stargate Abilene Oracle OCI Supercluster Phase 1\" ;
                      dg:operationalStatus dgos:planned ;
                      dg:userDescription \"Cloud,Microsoft,OpenAI\" .
                   ?own dg:owner dgr:oracle ; dg:gpuCluster ?c ; dg:certainty dgc:reported .
                   ?u1 a dg:CustomerRelationship ; dg:customer dgr:microsoft ; dg:gpuCluster ?c ;
                       dg:certainty dgc:reported .
                   ?u2 a dg:CustomerRelationship ; dg:customer dgr:openai ; dg:gpuCluster ?c .
                   FILTER NOT EXISTS { ?cloud a dg:Organization ; rdfs:label \"Cloud\" } }",
        ),
        // "Cambridge Dawn Phase 2" builds upon "Cambridge Dawn Phase 1", which the file lacks.
        (
            "an unresolved cluster name",
            "ASK { ?c rdfs:label \"Cambridge Dawn Phase 2\" ;
                      rdfs:comment \"Builds Upon: Cambridge Dawn Phase 1\" .
                   FILTER NOT EXISTS { ?c dg:buildsUpon ?other } }",
        ),
        // ml_hardware.csv line 56, "NVIDIA H100 SXM5 80GB": NVIDIA, GPU, released 2022-09-20 at
        // 33600.0 USD, TDP 700.0 W, 80000000000.0 bytes, foundry TSMC, 989400000000000.0
        // FLOP/s tensor FP16; the datasheet link ends with a stray ";".
        (
            "the H100 chip",
            "ASK { dgr:chip-nvidia-h100-sxm5-80gb a dg:Chip ; rdfs:label \"NVIDIA H100 SXM5 80GB\" ;
                      dg:manufacturer dgr:nvidia ; dg:chipType \"GPU\" ;
                      schema:releaseDate \"2022-09-20\"^^xsd:date ;
                      dg:releasePrice [ dg:value 33600.0 ; dg:currency \"USD\" ] ;
                      dg:tdpWatts 700.0 ; dg:memorySizeBytes 80000000000.0 ;
                      dg:tensorFP16Performance 989400000000000.0 ;
                      dg:foundry dgr:tsmc ;
                      prov:wasDerivedFrom/prov:wasDerivedFrom
                          <https://resources.nvidia.com/en-us-tensor-core/nvidia-tensor-core-gpu-datasheet> .
                   dgr:nvidia a dg:ChipMaker ; dg:makes dgr:chip-nvidia-h100-sxm5-80gb . }",
        ),
        // Line 51, "Amazon Trainium1": Manufacturer "Amazon AWS", the alias of Amazon Web
        // Services.
        (
            "Trainium's maker",
            "ASK { dgr:chip-amazon-trainium1 dg:manufacturer dgr:amazon-web-services .
                   dgr:amazon-web-services a dg:ChipMaker . }",
        ),
        // notable_ai_models.csv "GPT-4.5", also in the large-scale and frontier files: one
        // model, OpenAI, 3.8e+26 FLOP, published 2025-02-27, Likely, cost 339957479.93550694
        // (2023 USD, to the dollar), Link https://openai.com/index/introducing-gpt-4-5/.
        (
            "GPT-4.5, in three files",
            "ASK { dgr:model-gpt-4-5 a dg:AIModel ; rdfs:label \"GPT-4.5\" ;
                      dg:inEpochList dgel:notable , dgel:large-scale , dgel:frontier ;
                      dg:trainingComputeFLOP \"3.8E26\"^^xsd:double ;
                      schema:datePublished \"2025-02-27\"^^xsd:date ;
                      dg:trainingComputeCost [ dg:value 339957480.0 ; dg:currency \"USD\" ] ;
                      prov:wasDerivedFrom ?source .
                   ?source prov:wasDerivedFrom <https://openai.com/index/introducing-gpt-4-5/> .
                   ?dev a dg:ModelDevelopment ; dg:developer dgr:openai ; dg:model dgr:model-gpt-4-5 ;
                        dg:certainty dgc:reported ; dg:quote \"OpenAI\" ; prov:wasDerivedFrom ?source .
                   FILTER NOT EXISTS { ?other rdfs:label \"GPT-4.5\" FILTER(?other != dgr:model-gpt-4-5) } }",
        ),
        // "Llama 3.1-405B": Meta AI, Confident, 3.8e+25 FLOP on 16384 NVIDIA H100 SXM5 80GB,
        // cost 52885433.95402246 (2023 USD).
        (
            "Llama 3.1-405B trained on the H100",
            "ASK { dgr:model-llama-3-1-405b dg:trainingHardware dgr:chip-nvidia-h100-sxm5-80gb ;
                      dg:trainingHardwareQuantity 16384.0 ;
                      dg:trainingComputeFLOP \"3.8E25\"^^xsd:double ;
                      dg:trainingComputeCost [ dg:value 52885434.0 ] .
                   ?dev dg:developer dgr:meta-ai ; dg:model dgr:model-llama-3-1-405b ;
                        dg:certainty dgc:stated .
                   dgr:meta-ai rdfs:label \"Meta AI\" .
                   dgr:chip-nvidia-h100-sxm5-80gb dg:manufacturer dgr:nvidia . }",
        ),
        // "AlphaGo Zero": Organization "DeepMind" (Google DeepMind's earlier name), Confident,
        // Google TPU v1, published 2017-10-18; "DeepLabV3+" and "DeepLabV3" are two models.
        (
            "DeepMind is Google DeepMind",
            "ASK { ?dev dg:developer dgr:google-deepmind ; dg:model dgr:model-alphago-zero ;
                      dg:certainty dgc:stated .
                   dgr:model-alphago-zero dg:trainingHardware dgr:chip-google-tpu-v1 ;
                      schema:datePublished \"2017-10-18\"^^xsd:date .
                   dgr:model-deeplabv3-plus rdfs:label \"DeepLabV3+\" .
                   dgr:model-deeplabv3 rdfs:label \"DeepLabV3\" . }",
        ),
        // "Gemini 1.0 Ultra": Google DeepMind, Confidence Speculative, Google TPU v4 (made by
        // Google per ml_hardware.csv).
        (
            "Gemini 1.0 Ultra, speculative",
            "ASK { ?dev dg:developer dgr:google-deepmind ; dg:model dgr:model-gemini-1-0-ultra ;
                      dg:certainty dgc:speculative .
                   dgr:model-gemini-1-0-ultra dg:trainingHardware ?tpu .
                   ?tpu rdfs:label \"Google TPU v4\" ; dg:manufacturer dgr:google . }",
        ),
        // "Kimi K2 Thinking": Base model "Kimi K2", a model of the notable file.
        (
            "a base model",
            "ASK { dgr:model-kimi-k2-thinking dg:baseModel dgr:model-kimi-k2 .
                   dgr:model-kimi-k2 dg:inEpochList dgel:notable . }",
        ),
    ];
    common::assert_all_found(&store, &checks);
}

#[test]
fn malformed_rows_are_reported_and_the_good_rows_imported() {
    let store = common::article_store();
    let built = common::import_epoch(&store, "tests/fixtures/epoch-models-bad");
    let skipped: Vec<String> = built
        .report
        .skipped
        .iter()
        .filter(|s| FILES.contains(&s.file.as_str()))
        .map(Skipped::to_string)
        .collect();
    assert_eq!(
        skipped,
        vec![
            "ml_hardware/ml_hardware.csv:16: skipped: not a number: column \"TDP (W)\" holds \"700 W\"",
            "ml_hardware/ml_hardware.csv:27: skipped: missing value: column \"Hardware name\" is empty",
            "gpu_clusters/gpu_clusters.csv:8: skipped: unknown value (expected one of Confirmed, Likely, Unlikely): column \"Certainty\" holds \"Rumoured\"",
            "gpu_clusters/gpu_clusters.csv:11: skipped: missing value: column \"Name\" is empty",
            "gpu_clusters/gpu_clusters.csv:14: skipped: not a number: column \"H100 equivalents\" holds \"about 100k\"",
            "ai_models/notable_ai_models.csv:98: skipped: not a number: column \"Parameters\" holds \"about 1T\"",
            "ai_models/notable_ai_models.csv:151: skipped: unknown value (expected one of Confident, Likely, Speculative, Unknown, Unverified): column \"Confidence\" holds \"Maybe\"",
            "ai_models/notable_ai_models.csv:204: skipped: missing value: column \"Model\" is empty",
        ]
    );
    // The fixture's other files are those of tests/fixtures/epoch-bad, with their four.
    assert_eq!(built.report.skipped.len(), 12);
    let files: Vec<(&str, usize, usize, usize)> = built
        .report
        .files
        .iter()
        .filter(|f| FILES.contains(&f.file.as_str()))
        .map(|f| (f.file.as_str(), f.rows_read, f.rows_mapped, f.facts))
        .collect();
    assert_eq!(
        files,
        vec![
            ("ml_hardware/ml_hardware.csv", 4, 2, 0),
            ("gpu_clusters/gpu_clusters.csv", 5, 2, 4),
            ("ai_models/notable_ai_models.csv", 5, 2, 2),
            ("ai_models/large_scale_ai_models.csv", 2, 2, 1),
            ("ai_models/frontier_ai_models.csv", 1, 1, 0),
        ]
    );
    // The large-scale copy of GPT-4.5 says 2025-03-01: left out, the notable file's date kept.
    // Phase 2 is superseded by Phase 3, which the fixture lacks.
    assert_eq!(
        built.report.notes,
        vec![
            "gpu_clusters/gpu_clusters.csv:5: column \"Superseded by\" names \"xAI Colossus Memphis Phase 3\", no cluster of the file: kept as a comment, not linked",
            "ai_models: values of a later file that differ from an earlier file's for the same model, left out (notable, then large-scale, then frontier): \"Publication date\" 1",
        ]
    );
    assert!(built.report.to_string().contains(
        "gpu_clusters/gpu_clusters.csv:14: skipped: not a number: column \"H100 equivalents\" holds \"about 100k\""
    ));
    // The good rows: multi-line cells with doubled quotes (the cluster's Quote, the TPU's Notes,
    // Llama's Abstract) read whole, the rows after them on their own lines.
    assert!(common::ask_store(
        &store,
        "ASK { ?own dg:owner dgr:xai ; dg:gpuCluster dgr:gpu-cluster-xai-colossus-memphis-phase-1 ;
                    dg:quote ?q .
               FILTER STRSTARTS(?q, \"\\\"With 100k liquid-cooled H100s on a single RDMA fabric\\\"\\n\\n\")
               dgr:gpu-cluster-xai-colossus-memphis-phase-2 dg:buildsUpon dgr:gpu-cluster-xai-colossus-memphis-phase-1 ;
                    rdfs:comment \"Superseded by: xAI Colossus Memphis Phase 3\" .
               dgr:chip-google-tpu-v4 dg:manufacturer dgr:google .
               dgr:chip-nvidia-h100-sxm5-80gb dg:tdpWatts 700.0 .
               dgr:model-llama-3-1-405b dg:trainingHardware dgr:chip-nvidia-h100-sxm5-80gb .
               dgr:model-gpt-4-5 schema:datePublished \"2025-02-27\"^^xsd:date ;
                    dg:inEpochList dgel:notable , dgel:large-scale , dgel:frontier .
               dgr:model-gpt-4-1 dg:inEpochList dgel:large-scale .
               FILTER NOT EXISTS { dgr:model-gpt-4-5 schema:datePublished \"2025-03-01\"^^xsd:date }
               FILTER NOT EXISTS { ?x rdfs:label \"Rumoured Cluster\" }
               FILTER NOT EXISTS { ?x rdfs:label \"Vague Cluster\" }
               FILTER NOT EXISTS { ?x rdfs:label \"NVIDIA H100 Hot\" }
               FILTER NOT EXISTS { ?x rdfs:label \"Llama Vague\" }
               FILTER NOT EXISTS { ?x rdfs:label \"Llama Maybe\" } }"
    ));
}
