//! All integration tests of `specgen`, in one binary (one module per area).

mod alt_data;
mod build;
mod diff;
mod documents;
mod engine_bench;
mod helpers;
mod inputs;
mod links;
mod owned_files;
mod sparse_inputs;
mod stale_bench;
mod synth;
mod templates;
mod typst_markup;
mod untrusted;
mod workbook_recalc;
