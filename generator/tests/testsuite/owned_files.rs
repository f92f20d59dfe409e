//! The build replaces and removes only the files its manifest lists under
//! `spec/src/`, follows no link there, and refuses, naming the path, when
//! something it does not own is in the way.

use specgen::build;

use crate::helpers::Scratch;

fn built() -> Scratch {
    let s = Scratch::new();
    build::build(s.root()).unwrap();
    s
}

#[test]
fn a_link_to_a_directory_outside_is_refused_and_nothing_there_is_deleted() {
    let s = built();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("notes.md"), "mine").unwrap();
    std::fs::write(outside.path().join("logo.svg"), "<svg/>").unwrap();
    std::os::unix::fs::symlink(outside.path(), s.path("spec/src/elsewhere")).unwrap();
    let err = build::build(s.root()).unwrap_err().to_string();
    assert!(
        err.contains("spec/src/elsewhere") && err.contains("symbolic link"),
        "{err}"
    );
    assert!(outside.path().join("notes.md").is_file());
    assert!(outside.path().join("logo.svg").is_file());
}

#[test]
fn a_link_back_into_spec_src_is_refused_and_no_chapter_is_deleted() {
    let s = built();
    let before = s.snapshot("spec/src");
    std::os::unix::fs::symlink(".", s.path("spec/src/loop")).unwrap();
    std::os::unix::fs::symlink("..", s.path("spec/src/figures/up")).unwrap();
    let err = build::build(s.root()).unwrap_err().to_string();
    assert!(err.contains("symbolic link"), "{err}");
    std::fs::remove_file(s.path("spec/src/loop")).unwrap();
    std::fs::remove_file(s.path("spec/src/figures/up")).unwrap();
    assert!(before == s.snapshot("spec/src"), "spec/src changed");
}

#[test]
fn a_hand_written_file_is_refused_not_deleted() {
    let s = built();
    std::fs::write(s.path("spec/src/notes.md"), "my notes").unwrap();
    let err = build::build(s.root()).unwrap_err().to_string();
    assert!(
        err.contains("spec/src/notes.md") && err.contains("not written by specgen"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(s.path("spec/src/notes.md")).unwrap(),
        b"my notes"
    );
}

#[test]
fn a_file_the_manifest_lists_and_the_build_no_longer_makes_is_removed() {
    let s = built();
    let manifest = s.path("spec/src/.specgen-manifest");
    let listed = std::fs::read_to_string(&manifest).unwrap();
    assert!(
        listed.lines().any(|l| l == "figures/architecture.svg"),
        "{listed}"
    );
    std::fs::write(&manifest, format!("{listed}retired.md\n")).unwrap();
    std::fs::write(s.path("spec/src/retired.md"), "old chapter").unwrap();
    build::build(s.root()).unwrap();
    assert!(!s.path("spec/src/retired.md").exists());
    assert_eq!(std::fs::read_to_string(&manifest).unwrap(), listed);
}

#[test]
fn a_file_in_out_the_build_did_not_write_is_refused_not_deleted() {
    let s = built();
    std::fs::write(s.path("out/budget.xlsx"), "mine").unwrap();
    let err = build::build(s.root()).unwrap_err().to_string();
    assert!(
        err.contains("out/budget.xlsx") && err.contains("not written by specgen"),
        "{err}"
    );
    assert_eq!(std::fs::read(s.path("out/budget.xlsx")).unwrap(), b"mine");
}
