//! The check of today's skew is not circular: the sample's metrics depart
//! from the key list the model predicts with, the spec reports the gap as
//! recomputed here from the CSVs, and every page built from the synthetic
//! sample says it is one.

use std::collections::BTreeMap;

use partitioners::{flink_subtask, long_hash_code};
use specgen::build;

use crate::documents::{COMMITTED, page_texts};
use crate::helpers::{Scratch, repo_root};

/// Each keyed subtask's share of the records, summed over every sample of
/// `metrics/flink_subtasks.csv`.
fn measured_subtask_shares(operator: &str) -> Vec<f64> {
    let path = repo_root().join("data/metrics/flink_subtasks.csv");
    let mut reader = csv::Reader::from_path(path).unwrap();
    let mut by_subtask: BTreeMap<usize, f64> = BTreeMap::new();
    for row in reader.records() {
        let row = row.unwrap();
        if &row[1] == operator {
            *by_subtask.entry(row[2].parse().unwrap()).or_default() +=
                row[6].parse::<f64>().unwrap();
        }
    }
    let total: f64 = by_subtask.values().sum();
    by_subtask.values().map(|r| r / total).collect()
}

/// The listed customers (hot list plus the Zipf tail of `tail.toml`) routed
/// to today's 12 keyed subtasks over 128 key groups.
fn predicted_subtask_shares() -> Vec<f64> {
    let keys = repo_root().join("data/keys");
    let mut shares = vec![0.0; 12];
    let mut hot = csv::Reader::from_path(keys.join("hot_customers.csv")).unwrap();
    for row in hot.records() {
        let row = row.unwrap();
        let id: i64 = row[0].parse().unwrap();
        shares[flink_subtask(long_hash_code(id), 128, 12) as usize] +=
            row[2].parse::<f64>().unwrap();
    }
    let tail: toml::Table =
        toml::from_str(&std::fs::read_to_string(keys.join("tail.toml")).unwrap()).unwrap();
    let tail = tail["tail"].as_table().unwrap();
    let customers = tail["customers"].as_integer().unwrap();
    let first = tail["first_customer_id"].as_integer().unwrap();
    let s = tail["zipf_exponent"].as_float().unwrap();
    let share = tail["share"].as_float().unwrap();
    let weight = |rank: i64| (rank as f64).powf(-s);
    let total: f64 = (1..=customers).map(weight).sum();
    for rank in 1..=customers {
        let id = first + rank - 1;
        shares[flink_subtask(long_hash_code(id), 128, 12) as usize] += share * weight(rank) / total;
    }
    shares
}

fn hottest(shares: &[f64]) -> (usize, f64) {
    shares.iter().copied().enumerate().fold(
        (0, 0.0),
        |best, (i, x)| if x > best.1 { (i, x) } else { best },
    )
}

#[test]
fn the_today_check_reports_the_gap_to_production_recomputed_from_the_metrics() {
    let arch = std::fs::read_to_string(repo_root().join("data/architecture.toml")).unwrap();
    // The topology the routing above assumes.
    assert!(arch.contains("name = \"window-aggregate\"\nparallelism = 12\nmax_parallelism = 128"));
    let (predicted_at, predicted) = hottest(&predicted_subtask_shares());
    let measured = measured_subtask_shares("window-aggregate");
    let (measured_at, measured_hottest) = hottest(&measured);
    let error = (measured_hottest - predicted) / predicted;
    // Not circular: the sample's traffic is not the list's.
    assert!(
        error.abs() > 0.005,
        "production's hottest subtask ({measured_hottest}) equals the prediction ({predicted})"
    );
    let sign = if error > 0.0 { "+" } else { "−" };
    let text = std::fs::read_to_string(repo_root().join("spec/src/partitioning.md")).unwrap();
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for expected in [
        format!("(subtask {predicted_at})"),
        format!("{:.1}% on subtask {measured_at}", measured_hottest * 100.0),
        format!(
            "off by {sign}{:.1}% on the hottest subtask",
            error.abs() * 100.0
        ),
    ] {
        assert!(
            flat.contains(&expected),
            "partitioning.md lacks `{expected}`:\n{flat}"
        );
    }
}

#[test]
fn every_page_built_from_the_sample_says_so_and_real_exports_do_not() {
    const MARK: &str = "Synthetic sample data";
    for (pdf, _) in &COMMITTED.pdf_pages {
        for (i, page) in page_texts(&COMMITTED, pdf).iter().enumerate() {
            assert!(page.contains(MARK), "{pdf} page {} is not marked", i + 1);
        }
    }
    let chapters: Vec<&String> = COMMITTED
        .book_src
        .keys()
        .filter(|f| f.ends_with(".md") && *f != "SUMMARY.md")
        .collect();
    for chapter in &chapters {
        let text = String::from_utf8_lossy(&COMMITTED.book_src[*chapter]);
        assert!(
            text.contains("**Synthetic sample.**"),
            "{chapter} is not marked"
        );
    }
    // Without provenance.toml, data/ is a company's exports: no mark.
    let s = Scratch::new();
    std::fs::remove_file(s.path("data/provenance.toml")).unwrap();
    let real = build::render(&build::Layout {
        root: s.root().to_path_buf(),
    })
    .unwrap();
    for (pdf, _) in &real.pdf_pages {
        assert!(!page_texts(&real, pdf).join(" ").contains(MARK), "{pdf}");
    }
    for (file, text) in &real.book_src {
        assert!(
            !String::from_utf8_lossy(text).contains("Synthetic sample"),
            "{file}"
        );
    }
}
