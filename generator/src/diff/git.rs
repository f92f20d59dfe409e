//! Reading files at a revision from git's objects, without a checkout.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::{Error, Result};

/// The git repository around the project root; paths are relative to the root.
pub struct Repo {
    root: PathBuf,
}

impl Repo {
    pub fn new(root: &Path) -> Repo {
        Repo {
            root: root.to_path_buf(),
        }
    }

    fn git(&self, args: &[&str]) -> Result<std::process::Output> {
        Command::new("git")
            .arg("-C")
            .arg(&self.root)
            .args(args)
            .output()
            .map_err(|e| Error::Git(format!("cannot run git: {e}")))
    }

    /// The commit a revision names, abbreviated to twelve hex digits.
    pub fn resolve(&self, rev: &str) -> Result<String> {
        // A revision is never an option: `--base=--output=x` must not reach git as one.
        if rev.starts_with('-') || rev.is_empty() {
            return Err(Error::Git(format!("`{rev}` is not a revision")));
        }
        let out = self.git(&[
            "rev-parse",
            "--verify",
            "--quiet",
            "--short=12",
            &format!("{rev}^{{commit}}"),
        ])?;
        if !out.status.success() {
            return Err(Error::Git(format!(
                "`{rev}` is not a commit of the repository at {}",
                self.root.display()
            )));
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }

    /// A file's bytes at `commit`, or `None` when the file is not there.
    pub fn show(&self, commit: &str, path: &str) -> Result<Option<Vec<u8>>> {
        let object = format!("{commit}:./{path}");
        let exists = self.git(&["cat-file", "-e", &object])?;
        if !exists.status.success() {
            return Ok(None);
        }
        let out = self.git(&["cat-file", "blob", &object])?;
        if !out.status.success() {
            return Err(Error::Git(format!(
                "cannot read {path} at {commit}: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        Ok(Some(out.stdout))
    }

    /// The files under `dir` at `commit`, relative to the root, sorted.
    pub fn files(&self, commit: &str, dir: &str) -> Result<Vec<String>> {
        let out = self.git(&[
            "ls-tree",
            "-r",
            "-z",
            "--name-only",
            commit,
            "--",
            &format!("./{dir}"),
        ])?;
        if !out.status.success() {
            return Err(Error::Git(format!(
                "cannot list {dir} at {commit}: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        let mut files: Vec<String> = out
            .stdout
            .split(|&b| b == 0)
            .filter(|p| !p.is_empty())
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect();
        files.sort();
        Ok(files)
    }
}

/// The files under `root/dir` in the working tree, relative to `root`, sorted;
/// hidden files and directories are left out.
pub fn working_files(root: &Path, dir: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack = vec![root.join(dir)];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries {
            let path = entry.map_err(|e| Error::io(&d, e))?.path();
            if path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(rel) = path.strip_prefix(root) {
                let parts: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                out.push(parts.join("/"));
            }
        }
    }
    out.sort();
    Ok(out)
}
