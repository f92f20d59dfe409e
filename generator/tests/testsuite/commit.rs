//! The outputs of a build are one set: a failed build, a kill at any step of
//! the commit, a kill while a killed build is being finished, and two builds
//! at once each leave one whole set, never a mix.
//!
//! A kill is real: the test binary runs itself as a child process that aborts
//! at a chosen step (no destructor, no clean-up runs), and the parent then
//! looks at what is on disk.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use specgen::build::commit::{self, Step};
use specgen::build::{self, BuildReport, Rendered};

use crate::helpers::Scratch;

const CHILD_ROOT: &str = "SPECGEN_TEST_CHILD_ROOT";
const CHILD_VERSION: &str = "SPECGEN_TEST_CHILD_VERSION";
const CHILD_KILL_AT: &str = "SPECGEN_TEST_CHILD_KILL_AT";

/// A small but complete set of outputs, every file of which says `version`.
fn outputs(version: u32) -> Rendered {
    let text = |s: String| s.into_bytes();
    Rendered {
        book_src: BTreeMap::from([
            (
                "SUMMARY.md".to_owned(),
                text("# Summary\n\n- [Chapter](chapter.md)\n".into()),
            ),
            (
                "chapter.md".to_owned(),
                text(format!("# Chapter\n\nversion {version}\n")),
            ),
            (
                format!("figures/v{version}.svg"),
                text(format!("<svg>version {version}</svg>")),
            ),
        ]),
        files: BTreeMap::from([
            (
                "spec/figures.tsv".to_owned(),
                text(format!("version\t{version}\n")),
            ),
            (
                "data/bench/plan.tsv".to_owned(),
                text(format!("param\tversion\t{version}\n")),
            ),
        ]),
        out: BTreeMap::from([
            ("spec.pdf".to_owned(), text(format!("version {version}"))),
            ("csv/a.csv".to_owned(), text(format!("version,{version}\n"))),
        ]),
        pdf_pages: Vec::new(),
        pdf_texts: BTreeMap::new(),
        pdf_layout: BTreeMap::new(),
        pdf_chart_widths: BTreeMap::new(),
    }
}

/// The version every output says, or `None` when they disagree, one is
/// missing, or a file of another version is left behind.
fn version_on_disk(root: &Path) -> Option<u32> {
    let read = |rel: &str| std::fs::read_to_string(root.join(rel)).ok();
    let v: u32 = read("spec/src/chapter.md")?
        .lines()
        .find_map(|l| l.strip_prefix("version "))?
        .parse()
        .ok()?;
    let whole = read("spec/figures.tsv")? == format!("version\t{v}\n")
        && read("data/bench/plan.tsv")? == format!("param\tversion\t{v}\n")
        && read("out/spec.pdf")? == format!("version {v}")
        && read("out/csv/a.csv")? == format!("version,{v}\n")
        && read("book/downloads/spec.pdf")? == format!("version {v}")
        && read("book/chapter.html")?.contains(&format!("version {v}"))
        && read(&format!("spec/src/figures/v{v}.svg")).is_some()
        && std::fs::read_dir(root.join("spec/src/figures"))
            .ok()?
            .count()
            == 1;
    whole.then_some(v)
}

fn stages(root: &Path) -> Vec<String> {
    std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(commit::STAGE_PREFIX))
        .collect()
}

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    crate::helpers::copy_site_config(dir.path());
    dir
}

fn commit_version(root: &Path, version: u32, at: &mut dyn FnMut(Step)) {
    let mut report = BuildReport::default();
    commit::commit(root, &outputs(version), &mut report, at).unwrap_or_else(|e| panic!("{e}"));
}

fn step_name(step: Step) -> String {
    format!("{step:?}")
}

/// Runs in the child only (the variables are unset in a normal run): commits
/// a version, or finishes an interrupted build when the version is 0, and
/// aborts the process at the named step.
#[test]
fn child_commits_and_is_killed() {
    let (Ok(root), Ok(version), Ok(kill_at)) = (
        std::env::var(CHILD_ROOT),
        std::env::var(CHILD_VERSION),
        std::env::var(CHILD_KILL_AT),
    ) else {
        return;
    };
    let mut at = |step: Step| {
        if step_name(step) == kill_at {
            std::process::abort();
        }
    };
    let version: u32 = version.parse().unwrap();
    if version == 0 {
        commit::finish_interrupted(Path::new(&root), &mut at).unwrap();
    } else {
        commit_version(Path::new(&root), version, &mut at);
    }
}

/// Runs the child; true when it was killed at its step.
fn run_child(root: &Path, version: u32, kill_at: Step) -> bool {
    let status = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "commit::child_commits_and_is_killed",
            "--test-threads=1",
            "--quiet",
        ])
        .env(CHILD_ROOT, root)
        .env(CHILD_VERSION, version.to_string())
        .env(CHILD_KILL_AT, step_name(kill_at))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    !status.success()
}

/// Every step of a commit of two changed outputs plus the site.
const STEPS: [Step; 9] = [
    Step::Locked,
    Step::Staged,
    Step::SiteBuilt,
    Step::Recorded,
    Step::Swapped(0),
    Step::Swapped(1),
    Step::Swapped(2),
    Step::Swapped(3),
    Step::Done,
];

#[test]
fn a_kill_at_any_step_leaves_one_whole_set() {
    for step in STEPS {
        let dir = project();
        let root = dir.path();
        commit_version(root, 1, &mut |_| {});
        assert_eq!(version_on_disk(root), Some(1));
        assert!(
            run_child(root, 2, step),
            "the child was not killed at {step:?}"
        );
        let recorded = !matches!(step, Step::Locked | Step::Staged | Step::SiteBuilt);
        if !recorded {
            // Before the record, nothing live was touched.
            assert_eq!(version_on_disk(root), Some(1), "killed at {step:?}");
        }
        // The next build first finishes (or drops) what the killed one left.
        commit::finish_interrupted(root, &mut |_| {}).unwrap();
        let expected = if recorded { 2 } else { 1 };
        assert_eq!(version_on_disk(root), Some(expected), "killed at {step:?}");
        assert!(
            stages(root).is_empty(),
            "killed at {step:?}: {:?}",
            stages(root)
        );
        // And a build after it works as usual.
        commit_version(root, 3, &mut |_| {});
        assert_eq!(version_on_disk(root), Some(3), "killed at {step:?}");
    }
}

#[test]
fn a_kill_while_finishing_a_killed_build_still_ends_whole() {
    for first in [Step::Recorded, Step::Swapped(1)] {
        for second in [Step::Swapped(1), Step::Swapped(2), Step::Swapped(3)] {
            let dir = project();
            let root = dir.path();
            commit_version(root, 1, &mut |_| {});
            assert!(run_child(root, 2, first));
            assert!(run_child(root, 0, second), "{first:?} then {second:?}");
            commit::finish_interrupted(root, &mut |_| {}).unwrap();
            assert_eq!(version_on_disk(root), Some(2), "{first:?} then {second:?}");
            assert!(stages(root).is_empty());
        }
    }
}

#[test]
fn two_builds_at_once_each_commit_a_whole_set() {
    let dir = project();
    let root = dir.path();
    commit_version(root, 1, &mut |_| {});
    std::thread::scope(|s| {
        for v in [2, 3, 4] {
            s.spawn(move || commit_version(root, v, &mut |_| {}));
        }
    });
    assert!(matches!(version_on_disk(root), Some(2..=4)));
    assert!(stages(root).is_empty());
}

#[test]
fn a_site_that_fails_to_build_changes_no_output() {
    let dir = project();
    let root = dir.path();
    commit_version(root, 1, &mut |_| {});
    // The chapter list names a page the build does not write: mdBook fails.
    let mut bad = outputs(2);
    bad.book_src.insert(
        "SUMMARY.md".to_owned(),
        b"# Summary\n\n- [Chapter](chapter.md)\n- [Gone](gone.md)\n".to_vec(),
    );
    let mut report = BuildReport::default();
    let err = commit::commit(root, &bad, &mut report, &mut |_| {}).unwrap_err();
    assert!(err.to_string().contains("site"), "{err}");
    assert_eq!(version_on_disk(root), Some(1));
    assert!(stages(root).is_empty());
}

/// The failures the previous build used to half-survive, on the real build.
#[test]
fn a_failing_build_keeps_every_previous_output() {
    let s = Scratch::new();
    build::build(s.root()).unwrap_or_else(|e| panic!("{e}"));
    let snapshot = |s: &Scratch| {
        ["spec/src", "out", "book"]
            .map(|d| s.snapshot(d))
            .into_iter()
            .chain([BTreeMap::from([(
                "figures.tsv".into(),
                std::fs::read(s.path("spec/figures.tsv")).unwrap(),
            )])])
            .collect::<Vec<_>>()
    };
    let before = snapshot(&s);
    // A new document date: every document says it, so every output would change.
    let date_line = std::fs::read_to_string(s.path("data/assumptions.toml"))
        .unwrap()
        .lines()
        .find(|l| l.starts_with("document_date"))
        .unwrap()
        .to_owned();
    s.edit(
        "data/assumptions.toml",
        &date_line,
        "document_date = \"2026-12-31\"",
    );

    // A broken book.toml.
    let book = std::fs::read_to_string(s.path("book.toml")).unwrap();
    std::fs::write(s.path("book.toml"), "[book\n").unwrap();
    let err = build::build(s.root()).unwrap_err().to_string();
    assert!(err.contains("book.toml"), "{err}");
    assert!(before == snapshot(&s), "a broken book.toml changed outputs");
    std::fs::write(s.path("book.toml"), &book).unwrap();

    // `out` is a file.
    let out_dir = s.path("out");
    std::fs::rename(&out_dir, s.path("out.saved")).unwrap();
    std::fs::write(&out_dir, "not a directory").unwrap();
    let err = build::build(s.root()).unwrap_err().to_string();
    assert!(
        err.contains("out") && err.contains("not a directory"),
        "{err}"
    );
    assert_eq!(std::fs::read(&out_dir).unwrap(), b"not a directory");
    std::fs::remove_file(&out_dir).unwrap();
    std::fs::rename(s.path("out.saved"), &out_dir).unwrap();
    assert!(before == snapshot(&s), "a file named out changed outputs");

    // With both fixed the build goes through and changes the set.
    build::build(s.root()).unwrap_or_else(|e| panic!("{e}"));
    assert!(before != snapshot(&s));
    assert!(stages(s.root()).is_empty());
}

/// `kill -9` of the real binary while it builds the site: the previous set
/// stays whole, or, if the kill came after the commit record, the next build
/// completes the new one. (A kill that lands after the build finished finds
/// the new set whole.)
#[test]
fn kill_9_during_the_site_step_leaves_a_whole_set() {
    let s = Scratch::new();
    build::build(s.root()).unwrap_or_else(|e| panic!("{e}"));
    let old = (s.snapshot("book"), s.snapshot("spec/src"));
    let date_line = std::fs::read_to_string(s.path("data/assumptions.toml"))
        .unwrap()
        .lines()
        .find(|l| l.starts_with("document_date"))
        .unwrap()
        .to_owned();
    s.edit(
        "data/assumptions.toml",
        &date_line,
        "document_date = \"2026-12-31\"",
    );
    let fresh = Scratch::new();
    std::fs::copy(
        s.path("data/assumptions.toml"),
        fresh.path("data/assumptions.toml"),
    )
    .unwrap();
    build::build(fresh.root()).unwrap();
    let new = (fresh.snapshot("book"), fresh.snapshot("spec/src"));
    assert!(old != new);

    let mut child = Command::new(env!("CARGO_BIN_EXE_specgen"))
        .arg("--root")
        .arg(s.root())
        .arg("build")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the site is being written in the staging directory.
    let started = std::time::Instant::now();
    let in_site_step = loop {
        let site = stages(s.root())
            .iter()
            .any(|d| s.path(d).join("site").exists());
        if site {
            break true;
        }
        if child.try_wait().unwrap().is_some() || started.elapsed().as_secs() > 600 {
            break false;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    };
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(in_site_step, "the build ended before its site step");
    let recorded = stages(s.root())
        .iter()
        .any(|d| s.path(d).join("commit-record").exists());
    if !recorded {
        let now = (s.snapshot("book"), s.snapshot("spec/src"));
        assert!(now == old || now == new, "a mix of two builds");
    }
    build::build(s.root()).unwrap_or_else(|e| panic!("{e}"));
    assert!(stages(s.root()).is_empty());
    assert!((s.snapshot("book"), s.snapshot("spec/src")) == new);
}
