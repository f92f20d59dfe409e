//! Prose that follows the data: every chapter built from the committed data
//! and from each data set under `tests/` is free of the phrasings a template
//! produces when a branch does not fit its verdict.

use specgen::build::{self, Layout};
use specgen::inputs;

use crate::alt_data::alt_scratch;
use crate::flat_keys::flat_scratch;
use crate::helpers::repo_root;
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
