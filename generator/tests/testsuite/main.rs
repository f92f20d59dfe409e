//! All integration tests of `specgen`, in one binary (one module per area).

mod alt_data;
mod build;
mod documents;
mod helpers;
mod inputs;
mod stale_bench;
mod synth;
mod templates;
mod typst_markup;
mod workbook_recalc;
