//! Inputs a real company has: no planned onboarding and no customer hot
//! enough to list. They build, and the prose says so instead of printing
//! "0 customers send 0.0%" above an empty table.

use specgen::build::{self, Layout};

use crate::helpers::Scratch;

#[test]
fn no_onboardings_and_no_hot_customers_build_documents_that_say_so() {
    let s = Scratch::new();
    for file in ["data/onboardings.csv", "data/keys/hot_customers.csv"] {
        let text = std::fs::read_to_string(s.path(file)).unwrap();
        let header = text.lines().next().unwrap();
        std::fs::write(s.path(file), format!("{header}\n")).unwrap();
    }
    // With no hot list, the tail is all the traffic.
    let tail = std::fs::read_to_string(s.path("data/keys/tail.toml")).unwrap();
    let share = tail.lines().find(|l| l.starts_with("share")).unwrap();
    s.edit("data/keys/tail.toml", share, "share = 1.0");
    let r = build::render(&Layout {
        root: s.root().to_path_buf(),
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let chapter = |name: &str| String::from_utf8(r.book_src[name].clone()).unwrap();
    let workload = chapter("workload.md");
    assert!(
        workload.contains("No customer is listed as hot"),
        "{workload}"
    );
    assert!(!workload.contains("0 customers send"), "{workload}");
    let partitioning = chapter("partitioning.md");
    assert!(
        partitioning.contains("so this table has no column"),
        "{partitioning}"
    );
    for (name, pages) in &r.pdf_pages {
        assert!(*pages >= 1, "{name} has no pages");
    }
}
