//! The workbook's formulas, recalculated by a real spreadsheet, equal the Rust model.
//!
//! Every formula cell of `capacity-model.xlsx` carries the value the Rust model
//! computed as its cached result. A reader that trusts cached results would see
//! the right numbers even if a formula were wrong, so this test has headless
//! LibreOffice load the workbook *forcing a full recalculation*, save what it
//! computed, and compares each recalculated formula cell with the model.
//!
//! Without `soffice` on `PATH` the test skips, except under `CI=true`, where a
//! skipped check would be a silently missing one: there it fails.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use calamine::{Data, Reader, Xlsx, open_workbook};
use specgen::inputs::{self, assumptions::parse_date};
use specgen::model;
use specgen::render::capacity_sheet;
use specgen::render::workbook::{self, Cell, WorkbookModel};

use crate::helpers::repo_root;

/// Relative tolerance for values that are not counts: the formulas are the same
/// arithmetic as the Rust model, so only the order of floating-point operations
/// (LibreOffice sums with compensation, for one) may differ.
const REL_TOL: f64 = 1e-9;
/// Absolute floor for values near zero, where a relative bound is meaningless:
/// cancellation in sums of rates around 1e6 leaves residues near 1e-10, and no
/// capacity figure (events/s, MB/s, ratios) means anything at 1e-9.
const ABS_TOL: f64 = 1e-9;
/// A hung LibreOffice must fail the test, not hang the suite.
const SOFFICE_TIMEOUT: Duration = Duration::from_secs(300);

/// Calc's "Recalculation on file load" for Excel 2007 and newer files
/// (Tools ▸ Options ▸ Calc ▸ Formula): 0 = always, 1 = never (the default,
/// which trusts cached results), 2 = prompt. Headless LibreOffice reads it from
/// the profile's `user/registrymodifications.xcu`.
const RECALC_ALWAYS_XCU: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"#;

#[test]
fn workbook_recalc_libreoffice_matches_the_rust_model() {
    let Some(soffice) = find_on_path("soffice") else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!(
                "LibreOffice is required in CI (CI=true): `soffice` is not on PATH, so the \
                 workbook's formulas cannot be recalculated and checked against the model; \
                 install libreoffice-calc"
            );
        }
        eprintln!(
            "SKIPPED workbook_recalc: `soffice` (LibreOffice) not on PATH; install \
             libreoffice-calc to check the workbook's formulas against the model"
        );
        return;
    };
    let started = Instant::now();

    // The workbook exactly as `specgen build` makes it.
    let inputs = inputs::load(&repo_root().join("data")).unwrap();
    let model = model::run(&inputs);
    let date = parse_date(&inputs.assumptions.plan.document_date).expect("validated on load");
    let sheet_model = capacity_sheet::build(&inputs, &model);
    let formulas = formula_cells(&sheet_model);
    assert!(
        !formulas.is_empty(),
        "the workbook has no formula cell: nothing to recalculate"
    );
    // The money sheets are live: every cross-zone flow and every quarter's
    // cost is a formula recalculated below, not a pasted figure.
    for (sheet, at_least) in [
        ("Cross-zone", 13 * model.plan.flat().count()),
        ("Quarters", 4 * model.rollout.quarters.len()),
    ] {
        let n = formulas.iter().filter(|f| f.sheet == sheet).count();
        assert!(
            n >= at_least,
            "{sheet}: {n} formula cells, expected at least {at_least}"
        );
    }

    // The sanity copy: same formulas, every cached result deliberately wrong. If
    // LibreOffice returned these, it did not recalculate and the comparison of
    // the real workbook would only be reading back our own cached numbers.
    let mut wrong = sheet_model.clone();
    for sheet in &mut wrong.sheets {
        for cell in sheet.rows.iter_mut().flatten() {
            if let Cell::Formula { value, .. } = cell {
                *value = wrong_cached(*value);
            }
        }
    }

    let tmp = tempfile::tempdir().unwrap();
    let input_dir = tmp.path().join("in");
    let output_dir = tmp.path().join("out");
    std::fs::create_dir_all(&input_dir).unwrap();
    let real = input_dir.join("capacity-model.xlsx");
    let decoy = input_dir.join("wrong-cache.xlsx");
    std::fs::write(&real, workbook::to_xlsx(&sheet_model, date).unwrap()).unwrap();
    std::fs::write(&decoy, workbook::to_xlsx(&wrong, date).unwrap()).unwrap();

    recalculate(&soffice, tmp.path(), &output_dir, &[&real, &decoy]);

    // Values come back through LibreOffice's own xlsx export, read with calamine,
    // rather than a CSV export: in xlsx each value is addressed by sheet and cell
    // and written with a decimal point whatever the locale, whereas CSV export
    // follows the profile's locale (a decimal comma in some), writes one file per
    // sheet under a naming convention, and loses the cell types. LibreOffice 7.4
    // rounds numbers to 15 significant digits in every export (xlsx, ODS, CSV
    // alike), so reading back adds at most 5e-15 relative error, far below REL_TOL.
    let recalculated = read_values(&output_dir.join("capacity-model.xlsx"), &formulas);
    let decoy_values = read_values(&output_dir.join("wrong-cache.xlsx"), &formulas);

    let stale: Vec<&FormulaCell> = formulas
        .iter()
        .zip(&decoy_values)
        .filter(|(f, got)| **got == Ok(wrong_cached(f.expected)))
        .map(|(f, _)| f)
        .collect();
    assert!(
        stale.is_empty(),
        "LibreOffice did not recalculate: {} of {} formula cells of the copy with wrong \
         cached results kept them (first: {}!{} {}); the recalculation-on-load setting \
         was not applied",
        stale.len(),
        formulas.len(),
        stale[0].sheet,
        stale[0].address,
        stale[0].formula
    );

    // Counted straight from the model, not from `formulas`, so a slip in
    // collecting the cells cannot shrink what is compared.
    let in_model = sheet_model
        .sheets
        .iter()
        .flat_map(|s| s.rows.iter().flatten())
        .filter(|c| matches!(c, Cell::Formula { .. }))
        .count();
    let mut compared = 0;
    let mut worst_rel = 0.0_f64;
    let mut mismatches = Vec::new();
    for (f, got) in formulas.iter().zip(&recalculated) {
        if got.is_ok() {
            compared += 1;
        }
        let verdict = match got {
            Err(what) => Err(what.clone()),
            Ok(v) if f.count => {
                if *v == f.expected {
                    Ok(())
                } else {
                    Err(format!("{v} (a count: must be equal)"))
                }
            }
            Ok(v) => {
                let diff = (v - f.expected).abs();
                let rel = diff / f.expected.abs().max(v.abs());
                if diff > ABS_TOL {
                    worst_rel = worst_rel.max(rel);
                }
                if diff <= ABS_TOL || rel <= REL_TOL {
                    Ok(())
                } else {
                    Err(format!("{v} (relative difference {rel:.3e})"))
                }
            }
        };
        if let Err(got) = verdict {
            mismatches.push(format!(
                "  {}!{}  {}\n      model {}  LibreOffice {}",
                f.sheet, f.address, f.formula, f.expected, got
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} formula cells differ between the Rust model and LibreOffice's \
         recalculation:\n{}",
        mismatches.len(),
        formulas.len(),
        mismatches.join("\n")
    );
    assert_eq!(
        compared, in_model,
        "LibreOffice's values were compared for {compared} formula cells, the model has {in_model}"
    );
    eprintln!(
        "workbook_recalc: {compared} formula cells ({} counts) equal after LibreOffice \
         recalculation; largest relative difference {worst_rel:.3e}; {:.1} s",
        formulas.iter().filter(|f| f.count).count(),
        started.elapsed().as_secs_f64()
    );
}

/// One formula cell of the model, located as a spreadsheet user would see it.
#[derive(Debug)]
struct FormulaCell {
    sheet: String,
    /// 0-based row and column in the written worksheet (headers are row 0).
    row: u32,
    col: u32,
    /// A1 style, e.g. `F2`.
    address: String,
    /// As written, with `{r}` replaced by the row.
    formula: String,
    expected: f64,
    /// Compared exactly: see [`is_count`].
    count: bool,
}

fn formula_cells(model: &WorkbookModel) -> Vec<FormulaCell> {
    let mut out = Vec::new();
    for sheet in &model.sheets {
        for (i, row) in sheet.rows.iter().enumerate() {
            // `to_xlsx` writes the headers on row 0 and data row i on row i + 1.
            let r = i as u32 + 1;
            for (c, cell) in row.iter().enumerate() {
                let Cell::Formula { formula, value } = cell else {
                    continue;
                };
                let formula = formula.replace("{r}", &(r + 1).to_string());
                let header = sheet.headers.get(c).map_or("", String::as_str);
                out.push(FormulaCell {
                    sheet: sheet.name.clone(),
                    row: r,
                    col: c as u32,
                    address: format!("{}{}", column_letters(c as u32), r + 1),
                    count: is_count(header, &formula, *value),
                    formula,
                    expected: *value,
                });
            }
        }
    }
    out
}

/// Counts (partitions, brokers, shards, TaskManagers, months, ...) are whole
/// numbers in the model and must come out identical, not merely close: a
/// partition count off by 1e-12 would show as 13 where the spec says 12 after
/// a ROUNDUP downstream. A formula cell is a count when the model's value is
/// whole and either its column names a countable thing (not as a rate: "per
/// partition" is not a count) or the formula itself rounds to an integer.
fn is_count(header: &str, formula: &str, value: f64) -> bool {
    const COUNTED: &[&str] = &[
        "partitions",
        "brokers",
        "shards",
        "replicas",
        "taskmanagers",
        "tms",
        "slots",
        "parallelism",
        "subtasks",
        "nodes",
        "servers",
        "month",
        "months",
    ];
    const ROUNDING: &[&str] = &[
        "=ROUNDUP(",
        "=ROUNDDOWN(",
        "=CEILING(",
        "=FLOOR(",
        "=INT(",
        "=TRUNC(",
    ];
    if value.fract() != 0.0 || !value.is_finite() {
        return false;
    }
    let header = header
        .to_lowercase()
        .replace("task_managers", "taskmanagers");
    let tokens: Vec<&str> = header
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|t| !t.is_empty())
        .collect();
    let named_count = tokens
        .iter()
        .enumerate()
        .any(|(i, t)| COUNTED.contains(t) && (i == 0 || tokens[i - 1] != "per"));
    let upper = formula.to_uppercase();
    named_count || ROUNDING.iter().any(|f| upper.starts_with(f))
}

/// A cached result that no correct recalculation of the formula can produce.
fn wrong_cached(v: f64) -> f64 {
    v * 3.0 + 7.25
}

fn column_letters(mut col: u32) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap()
}

/// Converts each xlsx in `inputs` to xlsx in `out_dir` with headless LibreOffice,
/// using a throwaway profile under `scratch` set to recalculate on load, so no
/// user profile is read or written and parallel runs do not share a lock.
fn recalculate(soffice: &Path, scratch: &Path, out_dir: &Path, inputs: &[&Path]) {
    let profile = scratch.join("lo-profile");
    std::fs::create_dir_all(profile.join("user")).unwrap();
    std::fs::write(
        profile.join("user/registrymodifications.xcu"),
        RECALC_ALWAYS_XCU,
    )
    .unwrap();

    let mut cmd = Command::new(soffice);
    cmd.arg(format!("-env:UserInstallation={}", file_url(&profile)))
        .args([
            "--headless",
            "--invisible",
            "--norestore",
            "--nolockcheck",
            "--nodefault",
            "--convert-to",
            "xlsx:Calc Office Open XML",
            "--outdir",
        ])
        .arg(out_dir)
        .args(inputs)
        // Its own HOME too: nothing LibreOffice may fall back to lies outside the scratch dir.
        .env("HOME", scratch)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("cannot start soffice");
    let deadline = Instant::now() + SOFFICE_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().ok();
            child.wait().ok();
            panic!(
                "soffice did not finish the conversion within {} s",
                SOFFICE_TIMEOUT.as_secs()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let output = child.wait_with_output().unwrap();
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(status.success(), "soffice failed ({status}):\n{log}");
    // soffice exits 0 even when it could not load a file: check each result exists.
    for input in inputs {
        let result = out_dir.join(input.file_name().unwrap());
        assert!(
            result.is_file(),
            "soffice wrote no {}:\n{log}",
            result.display()
        );
    }
}

/// Each formula cell's value in a LibreOffice-saved workbook, or what was found instead.
fn read_values(path: &Path, cells: &[FormulaCell]) -> Vec<Result<f64, String>> {
    let mut book: Xlsx<_> =
        open_workbook(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut out = Vec::with_capacity(cells.len());
    let mut current: Option<(String, calamine::Range<Data>)> = None;
    for cell in cells {
        if current.as_ref().is_none_or(|(name, _)| *name != cell.sheet) {
            let range = book
                .worksheet_range(&cell.sheet)
                .unwrap_or_else(|e| panic!("{}: no sheet {}: {e}", path.display(), cell.sheet));
            current = Some((cell.sheet.clone(), range));
        }
        let (_, range) = current.as_ref().unwrap();
        out.push(match range.get_value((cell.row, cell.col)) {
            Some(Data::Float(v)) => Ok(*v),
            Some(Data::Int(v)) => Ok(*v as f64),
            Some(other) => Err(format!("{other:?} (not a number)")),
            None => Err("nothing (empty cell)".to_owned()),
        });
    }
    out
}

fn find_on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// A `file://` URL for an absolute path, percent-encoding what a URL cannot hold.
fn file_url(path: &Path) -> String {
    let mut url = String::from("file://");
    for b in path.to_str().expect("temp path is UTF-8").bytes() {
        if b.is_ascii_alphanumeric() || b"/-_.~".contains(&b) {
            url.push(b as char);
        } else {
            write!(url, "%{b:02X}").unwrap();
        }
    }
    url
}
