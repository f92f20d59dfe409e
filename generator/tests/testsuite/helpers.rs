//! Shared test helpers: a scratch copy of the project and a Typst text dump.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use specgen::render::pdf::{self, TypstDocument};

/// The repository root (the workspace around `generator/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// A scratch project: the repository's inputs, templates and book config,
/// copied into a fresh directory that is removed on drop.
pub struct Scratch {
    pub dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new() -> Scratch {
        let dir = tempfile::tempdir().unwrap();
        let root = repo_root();
        for sub in ["data", "spec/templates", "spec/typst"] {
            copy_dir(&root.join(sub), &dir.path().join(sub));
        }
        copy_site_config(dir.path());
        Scratch { dir }
    }

    /// The project with the files of `tests/<set>/` in place of their
    /// namesakes under `data/`: another company's data over the committed.
    pub fn overlay(set: &str, files: &[&str]) -> Scratch {
        let s = Scratch::new();
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests")
            .join(set);
        for rel in files {
            std::fs::copy(dir.join(rel), s.path(&format!("data/{rel}")))
                .unwrap_or_else(|e| panic!("{set}/{rel}: {e}"));
        }
        s
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Replaces the first occurrence of `from` in a file (panics if absent, so a
    /// test never silently edits nothing).
    pub fn edit(&self, rel: &str, from: &str, to: &str) {
        let path = self.path(rel);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{rel} does not contain {from:?}");
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    }

    /// Every file under `rel`, path → bytes.
    pub fn snapshot(&self, rel: &str) -> BTreeMap<PathBuf, Vec<u8>> {
        let mut out = BTreeMap::new();
        let base = self.path(rel);
        let mut stack = vec![base.clone()];
        while let Some(d) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in entries {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    out.insert(
                        p.strip_prefix(&base).unwrap().to_path_buf(),
                        std::fs::read(&p).unwrap(),
                    );
                }
            }
        }
        out
    }
}

/// What the site is built with besides the chapters: `book.toml` and the
/// stylesheets it names under `spec/site/`.
pub fn copy_site_config(to: &Path) {
    let root = repo_root();
    std::fs::copy(root.join("book.toml"), to.join("book.toml")).unwrap();
    copy_dir(&root.join("spec/site"), &to.join("spec/site"));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let target = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &target);
        } else {
            std::fs::copy(&p, &target).unwrap();
        }
    }
}

/// Compiles a Typst body (no style) and returns the text a reader would see.
pub fn typst_text(body: &str) -> String {
    typst_text_with(body, BTreeMap::new())
}

pub fn typst_text_with(body: &str, files: BTreeMap<String, Vec<u8>>) -> String {
    let doc = pdf::layout(&TypstDocument {
        name: "test".into(),
        main: format!("#set text(font: \"Libertinus Serif\")\n{body}"),
        files,
        date: (2026, 1, 1),
    })
    .unwrap_or_else(|e| panic!("{e}\n--- source ---\n{body}"));
    pdf::page_texts(&doc).join("\n")
}
