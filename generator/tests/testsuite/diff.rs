//! `specgen diff` on a scratch git repository: an assumption changed so that the
//! recommended strategy flips, then no change at all, then a base revision
//! from before the figures file.

use std::path::Path;
use std::process::{Command, Output};

use specgen::diff::{self, Options, Report, format};

use crate::alt_data::alt_scratch;

fn git(root: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["-c", "user.name=Spec", "-c", "user.email=spec@example.com"])
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn commit(root: &Path, message: &str) -> String {
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", message]);
    git(root, &["rev-parse", "HEAD"])
}

fn report(root: &Path, base: &str) -> Report {
    diff::run(
        root,
        &Options {
            base: base.into(),
            threshold_pct: 0.5,
            all: false,
            site_url: Some("https://spec.example/book".into()),
        },
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

fn specgen(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_specgen"))
        .arg("--root")
        .arg(root)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn diff_names_the_flipped_strategy_beside_the_assumption_that_flipped_it() {
    // The alternative data set, where more than one strategy is feasible all
    // year: hash by customer_id wins within the 1.25× penalty (17 keyed
    // subtasks against the composite key's 16), and a penalty of 1.05× hands
    // the decision to the composite key.
    let s = alt_scratch();
    let root = s.root();
    std::fs::write(root.join(".gitignore"), "/book/\n/out/\n").unwrap();
    git(root, &["init", "-q"]);
    let inputs_only = commit(root, "inputs");
    specgen::build::build(root).unwrap_or_else(|e| panic!("{e}"));
    let base = commit(root, "spec");
    s.edit(
        "data/assumptions.toml",
        "[decision.max_parallelism_penalty]\nvalue = 1.25",
        "[decision.max_parallelism_penalty]\nvalue = 1.05",
    );
    specgen::build::build(root).unwrap_or_else(|e| panic!("{e}"));

    // Against the base, from the working tree.
    let r = report(root, &base);
    let chosen = r
        .verdicts
        .iter()
        .find(|v| v.id == "chosen.name")
        .unwrap_or_else(|| panic!("the strategy did not flip: {:#?}", r.verdicts));
    assert_eq!(chosen.old.as_deref(), Some("hash by customer_id"));
    assert_eq!(
        chosen.new.as_deref(),
        Some("composite key (customer_id, event_type)")
    );
    let md = format::markdown(&r);
    assert!(md.starts_with(format::MARKER), "{md}");
    let verdicts = md.find("### Verdicts that flipped").unwrap();
    let inputs = md.find("### Inputs that changed").unwrap();
    assert!(verdicts < inputs, "verdicts come first:\n{md}");
    assert!(
        md[verdicts..inputs].contains(
            "| `chosen.name` | - | [Summary and the decision asked for](<https://spec.example/book/summary.html>) | hash by customer\\_id | composite key \\(customer\\_id, event\\_type\\) |"
        ),
        "{md}"
    );
    assert!(
        md.contains("Files: `data/assumptions.toml` (changed)"),
        "{md}"
    );
    assert!(
        md.contains("| `decision.max_parallelism_penalty` | 1.25 | 1.05 | × | Decision rule:"),
        "{md}"
    );
    assert!(
        r.chapters.iter().any(|c| c.chapter.file == "summary"),
        "{:#?}",
        r.chapters
    );
    // Same inputs, same bytes.
    assert_eq!(md, format::markdown(&report(root, &base)));
    assert_eq!(format::json(&r), format::json(&report(root, &base)));

    // The CI gate: 1 when a verdict flipped, 0 otherwise, 2 on an error.
    let gate = specgen(root, &["diff", "--base", &base, "--fail-on", "verdict"]);
    assert_eq!(gate.status.code(), Some(1), "{gate:?}");
    let md_cli = specgen(
        root,
        &[
            "diff",
            "--base",
            &base,
            "--format",
            "md",
            "--site-url",
            "https://spec.example/book",
        ],
    );
    assert_eq!(md_cli.status.code(), Some(0));
    assert_eq!(String::from_utf8(md_cli.stdout).unwrap(), md);

    // Committed: nothing differs from HEAD, and the report says so and nothing else.
    let head = commit(root, "penalty 1.05");
    let r = report(root, "HEAD");
    assert!(r.is_empty(), "{r:#?}");
    assert_eq!(
        format::markdown(&r),
        format!(
            "{}\n## Spec changes against `HEAD` (`{}`)\n\nNo verdict, input, figure or chapter text changed.\n",
            format::MARKER,
            &head[..12]
        )
    );
    let gate = specgen(root, &["diff", "--fail-on", "verdict"]);
    assert_eq!(gate.status.code(), Some(0), "{gate:?}");

    // A base from before the figures file: said so, and chapters and inputs still compared.
    let r = report(root, &inputs_only);
    assert!(
        r.figures_not_compared
            .as_deref()
            .unwrap()
            .contains("predates spec/figures.tsv")
    );
    assert!(r.verdicts.is_empty());
    assert!(
        r.chapters
            .iter()
            .any(|c| c.chapter.file == "summary" && c.status == "added")
    );
    assert_eq!(r.inputs.assumptions.len(), 1, "{:#?}", r.inputs);

    let bad = specgen(root, &["diff", "--base", "no-such-branch"]);
    assert_eq!(bad.status.code(), Some(2), "{bad:?}");

    // A base whose data/ no longer loads is named by its path in the
    // repository, never by the scratch copy's, so the report is reproducible.
    let good = std::fs::read_to_string(root.join("data/assumptions.toml")).unwrap();
    std::fs::write(
        root.join("data/assumptions.toml"),
        good.replacen("[plan]", "[plan]\nbogus = 1", 1),
    )
    .unwrap();
    let broken = commit(root, "a broken assumptions file");
    std::fs::write(root.join("data/assumptions.toml"), &good).unwrap();
    commit(root, "fixed");
    let r = report(root, &broken);
    let why = r.inputs.not_compared.as_deref().unwrap_or_default();
    assert!(
        why.starts_with("the base's inputs do not load: data/assumptions.toml:"),
        "{why}"
    );
    assert_eq!(
        format::markdown(&r),
        format::markdown(&report(root, &broken))
    );
}
