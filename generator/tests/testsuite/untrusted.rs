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
    // Whatever command the committed run recorded.
    let results = std::fs::read_to_string(s.path("data/bench/results.json")).unwrap();
    let command = results
        .lines()
        .find(|l| l.trim_start().starts_with("\"command\": \"bench-prototype"))
        .expect("the run's command")
        .trim()
        .trim_end_matches(',')
        .to_owned();
    s.edit(
        "data/bench/results.json",
        &command,
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

const HOSTILE: &str = "<script>alert(1)</script> <img src=x onerror=alert(1)> [x](javascript:alert(1)) ![y](javascript:alert(2)) <javascript:alert(3)> *a* | b";

#[test]
fn scripts_tags_and_links_in_data_are_printed_as_text() {
    let s = Scratch::new();
    plant(&s, HOSTILE);
    build::build(s.root()).unwrap();

    for (path, text) in site_texts(&s) {
        if !path.ends_with(".html") {
            continue;
        }
        for bad in [
            "<script>alert",
            "<img src=x",
            "<img src=\"x\"",
            "href=\"javascript:",
            "src=\"javascript:",
        ] {
            assert!(!text.contains(bad), "{path} carries {bad:?}");
        }
    }
    // Printed literally, as the reader typed it, and in a table cell without
    // splitting it.
    let workload = std::fs::read_to_string(s.path("book/workload.html")).unwrap();
    assert!(
        workload.contains("&lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=alert(1)&gt; [x](javascript:alert(1))"),
        "the hot customer's name is not printed as written"
    );
    let architecture = std::fs::read_to_string(s.path("book/architecture.html")).unwrap();
    assert!(
        architecture.contains("*a* | b</td>"),
        "the instance cell was split or emphasised"
    );
}

#[test]
fn a_template_cannot_publish_a_script_link_or_raw_html() {
    use specgen::render::markdown::check_published;
    assert!(check_published("[ok](growth.md#x) [ok](https://a.b/) <!-- site-only -->\n").is_ok());
    for bad in [
        "[x](javascript:alert(1))\n",
        "![x](data:text/html,hi)\n",
        "[x](JavaScript:alert(1))\n",
        "<javascript:alert(1)>\n",
        "<script>alert(1)</script>\n",
        "a <img src=x onerror=alert(1)> b\n",
    ] {
        assert!(check_published(bad).is_err(), "{bad} passed");
    }
}

#[test]
fn escaped_data_text_reaches_the_pdf_literally() {
    use specgen::render::typst_markup::to_typst;
    use specgen::view::text::{Code, Text};
    let raw = "#set page(width: 1cm) $x$ *b* _i_ `c` @ref <lbl> = + - / // [a](b) \\ \" ' ~ {{#include x}} & a|b";
    let md = format!(
        "| A |\n|---|\n| {} |\n\n{} and {}\n",
        Text::new(raw).as_markdown(),
        Text::new(raw).as_markdown(),
        Code::new(raw).as_markdown()
    );
    let text = crate::helpers::typst_text(&to_typst(&md));
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let want = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    assert_eq!(flat.matches(&want).count(), 3, "{flat}");
}
