//! Prose that follows the data: every chapter built from the committed data
//! and from each data set under `tests/` is free of the phrasings a template
//! produces when a branch does not fit its verdict.

use specgen::build::{self, Layout};
use specgen::inputs;

use crate::alt_data::alt_scratch;
use crate::flat_keys::flat_scratch;
use crate::helpers::{Scratch, repo_root};
use crate::hyper_growth::hyper_scratch;

/// Units that read wrong after a bare "1" ("1 groups").
const PLURALS: &[&str] = &[
    "groups",
    "customers",
    "partitions",
    "brokers",
    "shards",
    "subtasks",
    "TaskManagers",
    "increases",
    "keys",
    "sub-keys",
    "months",
    "days",
];

/// A figure as the documents print it ("1,009.0"), as a number.
fn number(token: &str) -> Option<f64> {
    let t = token.trim_matches(|c: char| !c.is_ascii_digit());
    if t.is_empty()
        || !t
            .chars()
            .all(|c| c.is_ascii_digit() || c == ',' || c == '.')
    {
        return None;
    }
    t.replace(',', "").parse().ok()
}

/// What reads wrong in `text`, one line per finding.
fn findings(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let at = |what: &str| format!("line {}: {what}: {line}", n + 1);
        if line.contains("(check)") {
            out.push(at("a placeholder"));
        }
        if line.contains("headroom of -") || line.contains("headroom of **-") {
            out.push(at("a negative headroom"));
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        for w in words.windows(2) {
            let unit = w[1].trim_end_matches(['.', ',', ';', ':', ')']);
            if w[0] == "1" && PLURALS.contains(&unit) {
                out.push(at("a plural after 1"));
            }
            if w[0] == "0" && unit == "customers" {
                out.push(at("zero customers in digits"));
            }
        }
        // "from 80,014 to 80,014"; "between 260,210 and 221,778".
        for w in words.windows(4) {
            if w[0] == "from" && w[2] == "to" && number(w[1]).is_some() && w[1] == w[3] {
                out.push(at("a range from a figure to itself"));
            }
            if w[0] == "between"
                && w[2] == "and"
                && let (Some(a), Some(b)) = (number(w[1]), number(w[3]))
                && a > b
            {
                out.push(at("a reversed range"));
            }
        }
        // A float printed raw: seven or more decimals.
        let mut run = 0;
        let mut after_point = false;
        for c in line.chars() {
            match c {
                '.' => {
                    after_point = run > 0;
                    run = 0;
                }
                d if d.is_ascii_digit() => {
                    run += 1;
                    if after_point && run == 7 {
                        out.push(at("a raw float"));
                    }
                }
                _ => {
                    run = 0;
                    after_point = false;
                }
            }
        }
    }
    out
}

#[test]
fn the_checks_catch_what_they_name() {
    for bad in [
        "moves 2027-12 between 276,420 and 225,978 USD",
        "from 80,014 to 80,014 events/s",
        "the plan splits 0 customers.",
        "one consumer in 1 groups",
        "a ratio of 0.0833333333333",
        "a cost (check) here",
        "a headroom of **-1,503 parts** below",
    ] {
        assert_eq!(findings(bad).len(), 1, "{bad}");
    }
    for good in [
        "between 225,978 and 276,420 USD",
        "from 24 to 902 partitions",
        "between 2027-01 and 2027-12",
        "1 customer, 2 brokers, 0.0833 of the load",
    ] {
        assert!(findings(good).is_empty(), "{good}: {:?}", findings(good));
    }
}

#[test]
fn every_chapter_of_every_data_set_reads_right() {
    let scratches = [
        ("alt", alt_scratch()),
        ("flat", flat_scratch()),
        ("hyper", hyper_scratch()),
    ];
    let mut roots: Vec<(&str, std::path::PathBuf)> = vec![("committed", repo_root())];
    roots.extend(scratches.iter().map(|(n, s)| (*n, s.root().to_path_buf())));
    let mut all = Vec::new();
    for (name, root) in roots {
        let layout = Layout { root };
        let inputs = inputs::load(&layout.data()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let draft = build::draft(&layout, &inputs).unwrap_or_else(|e| panic!("{name}: {e}"));
        for (chapter, text) in &draft.chapters {
            all.extend(
                findings(text)
                    .into_iter()
                    .map(|f| format!("{name}/{chapter}: {f}")),
            );
        }
    }
    assert!(all.is_empty(), "{}", all.join("\n"));
}

/// Sentences each data set's verdicts must produce, and the other branches'
/// sentences it must not: (data set, chapter, present, absent).
const VERDICTS: &[(&str, &str, &[&str], &[&str])] = &[
    (
        "committed",
        "readout.md",
        &[
            "It is the only strategy that carries the forecast.",
            "Volume drives the money, the key a part of it.",
            "Doing nothing is cheaper only on paper",
            "before a ClickHouse shard's merge capacity is saturated",
            "is beyond it (",
        ],
        &[
            "No strategy carries the whole forecast",
            "the year has no price",
            "is within it (",
            "Today's footprint carries the base forecast",
        ],
    ),
    (
        "committed",
        "workload.md",
        &[
            "parts over** `parts_to_delay_insert`",
            "ClickHouse was delaying inserts",
        ],
        &["a headroom of"],
    ),
    (
        "alt",
        "readout.md",
        &[
            "It is the simplest strategy that carries the forecast.",
            "Volume drives the money.**",
            "is within it (",
        ],
        &[
            "the key a part of it",
            "is beyond it (",
            "No strategy carries",
        ],
    ),
    (
        "flat",
        "readout.md",
        &[
            "It is the only strategy that carries the forecast.",
            "is beyond it (",
        ],
        &[
            "No strategy carries the whole forecast",
            "the year has no price",
        ],
    ),
    (
        "hyper",
        "readout.md",
        &[
            "No strategy carries the whole forecast.",
            "the year has no price, since the plan does not carry every month of it",
            "In 2027-06 the plan's fleet carries about",
        ],
        &["It is the only strategy", "quarter by quarter:"],
    ),
    (
        "roomy-parts",
        "workload.md",
        &["a headroom of\n**497 parts** below `parts_to_delay_insert`"],
        &["parts over**", "delaying inserts"],
    ),
];

#[test]
fn each_verdict_says_its_own_sentences() {
    // The parts threshold raised past the most parts seen: the branch where
    // ClickHouse kept room.
    let roomy = Scratch::new();
    roomy.edit(
        "data/assumptions.toml",
        "[clickhouse.parts_to_delay_insert]\nvalue = 1000.0",
        "[clickhouse.parts_to_delay_insert]\nvalue = 3000.0",
    );
    let scratches = [
        ("alt", alt_scratch()),
        ("flat", flat_scratch()),
        ("hyper", hyper_scratch()),
        ("roomy-parts", roomy),
    ];
    let mut roots: Vec<(&str, std::path::PathBuf)> = vec![("committed", repo_root())];
    roots.extend(scratches.iter().map(|(n, s)| (*n, s.root().to_path_buf())));
    let mut wrong = Vec::new();
    for (name, root) in roots {
        let layout = Layout { root };
        let inputs = inputs::load(&layout.data()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let draft = build::draft(&layout, &inputs).unwrap_or_else(|e| panic!("{name}: {e}"));
        for (set, chapter, present, absent) in VERDICTS.iter().filter(|v| v.0 == name) {
            let text = &draft.chapters[*chapter];
            for p in *present {
                if !text.contains(p) {
                    wrong.push(format!("{set}/{chapter}: missing {p:?}"));
                }
            }
            for a in *absent {
                if text.contains(a) {
                    wrong.push(format!("{set}/{chapter}: says {a:?}"));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
