//! Fuzzing, on stable Rust and driven by proptest: every loader over mutated
//! files, and the whole model over inputs that load. No case may panic or
//! hang; each ends in outputs or in an input error.
//!
//! A case loads all of `data/` (four weeks of metrics) and runs the whole
//! model, about a second or more in a debug build, so the default test run
//! gives each target a short budget (a few cases of the seeded sequence);
//! `just fuzz` runs them in release for as long as `SPECGEN_FUZZ_SECONDS`
//! says and prints the executions; `SPECGEN_FUZZ_SEED` picks another
//! sequence.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use specgen::build::{self, Layout};
use specgen::inputs;

use crate::helpers::repo_root;

/// The seconds each target runs: a short budget in the test suite.
fn budget() -> Duration {
    let secs = std::env::var("SPECGEN_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5.0);
    Duration::from_secs_f64(secs)
}

/// How long one case may take before it counts as a hang.
const CASE_LIMIT: Duration = Duration::from_secs(120);

fn runner() -> TestRunner {
    let seed: u64 = std::env::var("SPECGEN_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    TestRunner::new_with_rng(
        Config {
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &bytes),
    )
}

/// Runs `case` on values drawn from `strategy` until the budget is spent or a
/// case fails, and returns the executions. (A proptest runner counts cases,
/// not time: past a deadline it would go on drawing values.)
fn run_for<S>(
    strategy: &S,
    mut case: impl FnMut(S::Value) -> Result<(), TestCaseError>,
) -> (usize, Result<(), String>)
where
    S: Strategy,
    S::Value: Clone + std::fmt::Debug,
{
    let mut runner = runner();
    let started = Instant::now();
    let deadline = budget();
    let mut executions = 0;
    while started.elapsed() < deadline {
        let value = match strategy.new_tree(&mut runner) {
            Ok(tree) => tree.current(),
            Err(e) => return (executions, Err(format!("no value drawn: {e}"))),
        };
        executions += 1;
        if let Err(e) = case(value.clone()) {
            return (executions, Err(format!("{e}\non {value:?}")));
        }
    }
    (executions, Ok(()))
}

/// The text files of `data/` that people edit, relative to it.
const FILES: [&str; 9] = [
    "architecture.toml",
    "assumptions.toml",
    "forecast.csv",
    "onboardings.csv",
    "keys/hot_customers.csv",
    "keys/event_types.csv",
    "keys/tail.toml",
    "bench/scenarios.toml",
    "bench/results.json",
];

/// A scratch copy of `data/`. The large metrics files, which no case writes,
/// are hard-linked; every other file is copied, since a case rewrites it and a
/// link would rewrite the repository's own.
fn scratch_data() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&repo_root().join("data"), &dir.path().join("data"));
    for sub in ["spec/templates", "spec/typst"] {
        copy_tree(&repo_root().join(sub), &dir.path().join(sub));
    }
    dir
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let target = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_tree(&p, &target);
        } else if !(p.parent().is_some_and(|d| d.ends_with("metrics"))
            && std::fs::hard_link(&p, &target).is_ok())
        {
            std::fs::copy(&p, &target).unwrap();
        }
    }
}

/// Runs `f` on a thread of its own and fails the case if it panics or takes
/// longer than [`CASE_LIMIT`].
fn guarded<T: Send + 'static>(
    what: String,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, TestCaseError> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
        let _ = tx.send(result);
    });
    match rx.recv_timeout(CASE_LIMIT) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(panic)) => {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Err(TestCaseError::fail(format!("{what}: panicked: {message}")))
        }
        Err(_) => Err(TestCaseError::fail(format!(
            "{what}: no answer within {CASE_LIMIT:?}"
        ))),
    }
}

/// A byte-level edit: at a fraction of the file, replace some bytes.
#[derive(Debug, Clone)]
struct Edit {
    at: f64,
    remove: usize,
    insert: Vec<u8>,
}

/// What a person or a script might put into a data file.
const TOKENS: &[&str] = &[
    "0",
    "-1",
    "1e308",
    "-1e308",
    "1e-300",
    "NaN",
    "inf",
    "4294967295",
    "9223372036854775807",
    "",
    ",",
    "\n",
    "\r\n",
    "\t",
    "\"",
    "=",
    "[",
    "]",
    "{{#include /etc/passwd}}",
    "<script>",
    "2027-13",
    "0.5",
    "1",
    "\u{feff}",
    "é",
    "[x]",
    "a = 1",
    "# c",
];

fn edit() -> impl Strategy<Value = Edit> {
    let insert = prop_oneof![
        proptest::sample::select(TOKENS).prop_map(|t| t.as_bytes().to_vec()),
        proptest::collection::vec(any::<u8>(), 0..12),
    ];
    (0.0..1.0f64, 0..24usize, insert).prop_map(|(at, remove, insert)| Edit { at, remove, insert })
}

fn apply(text: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut out = text.to_vec();
    for e in edits {
        let at = ((out.len() as f64) * e.at) as usize;
        let end = (at + e.remove).min(out.len());
        out.splice(at..end, e.insert.iter().copied());
    }
    out
}

/// Every loader, through `inputs::load`, over files with random edits.
#[test]
fn loaders_answer_every_mutated_file_with_inputs_or_an_error() {
    let scratch = scratch_data();
    let data = scratch.path().join("data");
    let originals: Vec<Vec<u8>> = FILES
        .iter()
        .map(|f| std::fs::read(data.join(f)).unwrap())
        .collect();
    let started = Instant::now();
    let strategy = (0..FILES.len(), proptest::collection::vec(edit(), 1..4));
    let (executions, result) = run_for(&strategy, |(file, edits)| {
        let path = data.join(FILES[file]);
        std::fs::write(&path, apply(&originals[file], &edits)).unwrap();
        let dir = data.clone();
        let outcome = guarded(format!("loading a mutated {}", FILES[file]), move || {
            inputs::load(&dir).map(|_| ()).map_err(|e| e.to_string())
        });
        std::fs::write(&path, &originals[file]).unwrap();
        if let Ok(Err(message)) = &outcome {
            // An input error names the input it is about.
            prop_assert!(
                message.contains("data/") || message.contains(&*data.to_string_lossy()),
                "an error naming no file: {message}"
            );
        }
        outcome.map(|_| ())
    });
    println!(
        "loaders: {executions} executions in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// Numbers in a data file, replaced by numbers across every magnitude: the
/// structure stays, so most cases load and reach the model.
#[derive(Debug, Clone)]
struct NumberSwap {
    /// Which number of the file (as a fraction of their count).
    which: f64,
    value: String,
}

fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        (-12i32..13, 1.0..10.0f64).prop_map(|(e, m)| format!("{}", m * 10f64.powi(e))),
        (0u64..100_000).prop_map(|n| n.to_string()),
        proptest::sample::select(&["0", "0.0", "1", "1e9", "1e-9", "0.05", "0.999", "2"][..])
            .prop_map(str::to_owned),
    ]
}

fn swap() -> impl Strategy<Value = NumberSwap> {
    (0.0..1.0f64, number()).prop_map(|(which, value)| NumberSwap { which, value })
}

/// The spans of the numbers in `text` (digits, with a sign, point or exponent).
fn numbers(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let starts = bytes[i].is_ascii_digit()
            && (i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_'));
        if starts {
            let start = i;
            while i < bytes.len()
                && (bytes[i].is_ascii_digit() || matches!(bytes[i], b'.' | b'e' | b'E' | b'-'))
            {
                i += 1;
            }
            spans.push((start, i));
        } else {
            i += 1;
        }
    }
    spans
}

fn swap_numbers(text: &str, swaps: &[NumberSwap]) -> String {
    let mut out = text.to_owned();
    for s in swaps {
        let spans = numbers(&out);
        if spans.is_empty() {
            break;
        }
        let (a, b) = spans[((spans.len() as f64) * s.which) as usize % spans.len()];
        // Dates and labels keep their shape: only plain numbers are swapped.
        if out[a..b].matches('-').count() > 0 && !out[a..b].contains('e') {
            continue;
        }
        out.replace_range(a..b, &s.value);
    }
    out
}

/// The model files a planner edits, relative to `data/`.
const MODEL_FILES: [&str; 6] = [
    "assumptions.toml",
    "forecast.csv",
    "onboardings.csv",
    "keys/hot_customers.csv",
    "keys/tail.toml",
    "architecture.toml",
];

/// The whole model and every document's text, over inputs whose numbers are
/// anywhere in their ranges: inputs that load must give documents.
#[test]
fn the_model_turns_every_input_that_loads_into_documents() {
    let scratch = scratch_data();
    let root = scratch.path().to_path_buf();
    let data = root.join("data");
    let originals: Vec<String> = MODEL_FILES
        .iter()
        .map(|f| std::fs::read_to_string(data.join(f)).unwrap())
        .collect();
    let loaded = AtomicUsize::new(0);
    let started = Instant::now();
    let strategy = proptest::collection::vec(
        (
            0..MODEL_FILES.len(),
            proptest::collection::vec(swap(), 1..6),
        ),
        1..3,
    );
    let (executions, result) = run_for(&strategy, |changes| {
        for (file, swaps) in &changes {
            let text = swap_numbers(&originals[*file], swaps);
            std::fs::write(data.join(MODEL_FILES[*file]), text).unwrap();
        }
        let root_case: PathBuf = root.clone();
        let outcome = guarded(format!("the model on {changes:?}"), move || {
            let layout = Layout { root: root_case };
            match inputs::load(&layout.data()) {
                Err(_) => Ok(false),
                Ok(inputs) => build::draft(&layout, &inputs)
                    .map(|_| true)
                    .map_err(|e| e.to_string()),
            }
        });
        for (file, _) in &changes {
            std::fs::write(data.join(MODEL_FILES[*file]), &originals[*file]).unwrap();
        }
        match outcome? {
            Ok(true) => {
                loaded.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            Ok(false) => Ok(()),
            Err(message) => Err(TestCaseError::fail(format!(
                "inputs that load gave no documents: {message}"
            ))),
        }
    });
    println!(
        "model: {executions} executions ({} loaded and rendered) in {:.1} s",
        loaded.load(Ordering::Relaxed),
        started.elapsed().as_secs_f64()
    );
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn number_swaps_keep_dates_and_names() {
    let text = "month,label\n1,2027-01,base,4287,21.92\n";
    let swapped = swap_numbers(
        text,
        &[NumberSwap {
            which: 0.99,
            value: "7".into(),
        }],
    );
    assert_eq!(swapped, "month,label\n1,2027-01,base,4287,7\n");
    assert_eq!(numbers("a1 = 2.5e3"), vec![(5, 10)]);
}
