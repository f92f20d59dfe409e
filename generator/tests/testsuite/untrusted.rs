//! Data is untrusted text: whatever `data/` says, the published site leaks no
//! file and runs no script.

use std::path::Path;

use specgen::build;

use crate::helpers::Scratch;

/// Every text file the site is made of, path → contents.
fn site_texts(s: &Scratch) -> Vec<(String, String)> {
    s.snapshot("book")
        .into_iter()
        .filter(|(p, _)| {
            p.extension()
                .is_some_and(|e| e == "html" || e == "js" || e == "json")
        })
        .map(|(p, bytes)| {
            (
                p.display().to_string(),
                String::from_utf8_lossy(&bytes).into_owned(),
            )
        })
        .collect()
}

/// Puts `text` into data strings of every kind: a CSV name, TOML strings
/// printed as prose, in a table and as code, and the benchmark report's strings.
fn plant(s: &Scratch, text: &str) {
    let toml = text.replace('\\', "\\\\").replace('"', "\\\"");
    let json = toml.clone();
    s.edit(
        "data/keys/hot_customers.csv",
        "Northwind Retail",
        &text.replace(',', " "),
    );
    s.edit(
        "data/architecture.toml",
        "version = \"3.6\"",
        &format!("version = \"{toml}\""),
    );
    s.edit(
        "data/architecture.toml",
        "instance = \"m6i.4xlarge (16 vCPU, 64 GiB)\"",
        &format!("instance = \"{toml}\""),
    );
    s.edit(
        "data/assumptions.toml",
        "source = \"Headroom so that",
        &format!("source = \"{toml} Headroom so that"),
    );
    s.edit(
        "data/bench/results.json",
        "\"cpu_model\": \"Intel(R) Xeon(R) Processor\"",
        &format!("\"cpu_model\": \"{json}\""),
    );
    s.edit(
        "data/bench/results.json",
        "\"command\": \"bench-prototype --data data\"",
        &format!("\"command\": \"{json}\""),
    );
}

#[test]
fn mdbook_directives_in_data_are_printed_not_expanded() {
    let s = Scratch::new();
    let secret = s.path("secret.txt");
    std::fs::write(&secret, "TOP-SECRET-CONTENTS\n").unwrap();
    let absolute = format!("{{{{#include {}}}}}", secret.display());
    plant(&s, &absolute);
    // A relative path too, and the other directives mdBook knows.
    s.edit(
        "data/architecture.toml",
        "instance = \"r6i.2xlarge (8 vCPU, 64 GiB, up to 12.5 Gbit/s)\"",
        "instance = \"{{#include ../../secret.txt}} {{#title Owned}} {{#playground ../../secret.txt}} {{#rustdoc_include ../../secret.txt}}\"",
    );
    build::build(s.root()).unwrap();

    for (path, text) in site_texts(&s) {
        assert!(
            !text.contains("TOP-SECRET-CONTENTS"),
            "{path} carries the contents of a local file"
        );
        assert!(
            !text.contains("<title>Owned"),
            "{path} took a title from data"
        );
    }
    let workload = std::fs::read_to_string(s.path("book/workload.html")).unwrap();
    assert!(
        workload.contains(&format!("{{{{#include {}}}}}", secret.display())),
        "the hot customer's name is printed as written"
    );
    let architecture = std::fs::read_to_string(s.path("book/architecture.html")).unwrap();
    assert!(architecture.contains("{{#title Owned}}"));
    assert_no_file_in(&s.path("spec/src"), "TOP-SECRET-CONTENTS");
}

fn assert_no_file_in(dir: &Path, needle: &str) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() {
            let text = String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned();
            assert!(!text.contains(needle), "{} contains {needle}", p.display());
        }
    }
}
