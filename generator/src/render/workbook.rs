//! The capacity-model workbook: tables of input cells and live formulas,
//! written as `.xlsx` (with named assumption cells) and as one CSV per table.
//!
//! Each formula cell also carries the value the Rust model computed for it, as
//! the cached result: a reader that does not recalculate still sees the right
//! number, and a test recalculates the file and compares the two.

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, FormatAlign, Formula, Workbook};

use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    /// An input value (from `data/` or the model where no formula can express it).
    Number(f64),
    /// A live formula; `{r}` in it stands for the cell's own 1-based row.
    Formula {
        formula: String,
        value: f64,
    },
}

/// A cell that names another: `value` is stored as a defined name for formulas.
#[derive(Debug, Clone)]
pub struct Named {
    pub name: String,
    pub value: f64,
    pub unit: String,
    pub source: String,
}

#[derive(Debug, Clone)]
pub struct Sheet {
    pub name: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

#[derive(Debug, Clone)]
pub struct WorkbookModel {
    /// Written first, to the `Assumptions` sheet, each as a defined name.
    pub named: Vec<Named>,
    pub sheets: Vec<Sheet>,
}

pub const ASSUMPTIONS_SHEET: &str = "Assumptions";

/// Writes the workbook. `date` fixes the document properties so output is reproducible.
pub fn to_xlsx(model: &WorkbookModel, date: (i32, u8, u8)) -> Result<Vec<u8>> {
    let fail = |e: rust_xlsxwriter::XlsxError| Error::Sheet(e.to_string());
    let mut wb = Workbook::new();
    let created = ExcelDateTime::from_ymd(date.0 as u16, date.1, date.2).map_err(fail)?;
    wb.set_properties(
        &DocProperties::new()
            .set_title("Capacity model")
            .set_author("specgen")
            .set_creation_datetime(&created),
    );
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);

    let ws = wb.add_worksheet();
    ws.set_name(ASSUMPTIONS_SHEET).map_err(fail)?;
    for (c, h) in ["name", "value", "unit", "source"].iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)
            .map_err(fail)?;
    }
    for (i, n) in model.named.iter().enumerate() {
        let r = i as u32 + 1;
        ws.write_string(r, 0, &n.name).map_err(fail)?;
        ws.write_number(r, 1, n.value).map_err(fail)?;
        ws.write_string(r, 2, &n.unit).map_err(fail)?;
        ws.write_string_with_format(r, 3, &n.source, &wrap)
            .map_err(fail)?;
    }
    ws.set_column_width(0, 44).map_err(fail)?;
    ws.set_column_width(1, 14).map_err(fail)?;
    ws.set_column_width(3, 100).map_err(fail)?;
    ws.set_freeze_panes(1, 0).map_err(fail)?;
    for (i, n) in model.named.iter().enumerate() {
        let target = format!("={ASSUMPTIONS_SHEET}!$B${}", i + 2);
        wb.define_name(defined_name(&n.name), &target)
            .map_err(fail)?;
    }

    for sheet in &model.sheets {
        let ws = wb.add_worksheet();
        ws.set_name(&sheet.name).map_err(fail)?;
        for (c, h) in sheet.headers.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, h, &bold)
                .map_err(fail)?;
            ws.set_column_width(c as u16, (h.len() as f64 + 2.0).max(10.0))
                .map_err(fail)?;
        }
        for (i, row) in sheet.rows.iter().enumerate() {
            let r = i as u32 + 1;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16;
                match cell {
                    Cell::Text(s) => ws.write_string(r, c, s),
                    Cell::Number(v) => ws.write_number(r, c, *v),
                    Cell::Formula { formula, value } => {
                        let f = Formula::new(formula.replace("{r}", &(r + 1).to_string()))
                            .set_result(value.to_string());
                        ws.write_formula(r, c, f)
                    }
                }
                .map_err(fail)?;
            }
        }
        ws.set_freeze_panes(1, 0).map_err(fail)?;
    }
    wb.save_to_buffer().map_err(fail)
}

/// The spreadsheet name of an assumption: dots become underscores (valid in Excel and Calc).
pub fn defined_name(dotted: &str) -> String {
    dotted.replace(['.', '-'], "_")
}

/// One CSV per sheet (values, not formulas), named after the sheet.
pub fn to_csv(model: &WorkbookModel) -> Result<Vec<(String, Vec<u8>)>> {
    let mut files = Vec::new();
    let mut named = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| Error::Sheet(e.to_string());
    named
        .write_record(["name", "value", "unit", "source"])
        .map_err(fail)?;
    for n in &model.named {
        named
            .write_record([n.name.as_str(), &n.value.to_string(), &n.unit, &n.source])
            .map_err(fail)?;
    }
    files.push((
        file_name(ASSUMPTIONS_SHEET),
        named
            .into_inner()
            .map_err(|e| Error::Sheet(e.to_string()))?,
    ));
    for sheet in &model.sheets {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(&sheet.headers).map_err(fail)?;
        for row in &sheet.rows {
            let fields: Vec<String> = row
                .iter()
                .map(|c| match c {
                    Cell::Text(s) => s.clone(),
                    Cell::Number(v) | Cell::Formula { value: v, .. } => v.to_string(),
                })
                .collect();
            w.write_record(&fields).map_err(fail)?;
        }
        files.push((
            file_name(&sheet.name),
            w.into_inner().map_err(|e| Error::Sheet(e.to_string()))?,
        ));
    }
    Ok(files)
}

fn file_name(sheet: &str) -> String {
    format!("{}.csv", sheet.to_lowercase().replace(' ', "-"))
}
