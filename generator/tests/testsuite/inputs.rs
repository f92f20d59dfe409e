//! Bad inputs: each case in `tests/bad-inputs/cases.toml` edits one file of a
//! good project, and must fail with exactly its message and leave the previous
//! outputs untouched.

use serde::Deserialize;
use specgen::build;

use crate::helpers::{Scratch, repo_root};

#[derive(Deserialize)]
struct Cases {
    case: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    file: String,
    from: String,
    to: String,
    expect: String,
}

#[test]
fn the_sample_loads() {
    specgen::inputs::load(&repo_root().join("data")).unwrap();
}

#[test]
fn bad_inputs_fail_with_their_message_and_leave_outputs_untouched() {
    let cases: Cases = toml::from_str(
        &std::fs::read_to_string(repo_root().join("generator/tests/bad-inputs/cases.toml"))
            .unwrap(),
    )
    .unwrap();
    assert!(cases.case.len() >= 10);
    let s = Scratch::new();
    build::build(s.root()).unwrap();
    let src = s.snapshot("spec/src");
    let out = s.snapshot("out");
    let mut failures = Vec::new();
    for case in &cases.case {
        let original = std::fs::read_to_string(s.path(&case.file)).unwrap();
        s.edit(&case.file, &case.from, &case.to);
        match build::build(s.root()) {
            Ok(_) => failures.push(format!("{}: built without error", case.name)),
            Err(e) => {
                let message = e
                    .to_string()
                    .replace(&format!("{}/", s.root().display()), "");
                if message != case.expect {
                    failures.push(format!(
                        "{}:\n  expected: {}\n  got:      {message}",
                        case.name, case.expect
                    ));
                }
            }
        }
        std::fs::write(s.path(&case.file), original).unwrap();
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(
        s.snapshot("spec/src"),
        src,
        "a failing build touched spec/src"
    );
    assert_eq!(s.snapshot("out"), out, "a failing build touched out/");
}
