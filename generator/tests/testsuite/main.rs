//! All integration tests of `specgen`, in one binary (one module per area).

mod alt_data;
mod bench_plan;
mod binding;
mod build;
mod commit;
mod diff;
mod documents;
mod engine_bench;
mod flat_keys;
mod funding;
mod fuzz;
mod helpers;
mod hyper_growth;
mod inputs;
mod links;
mod owned_files;
mod plan_properties;
mod prose;
mod sparse_inputs;
mod stale_bench;
mod synth;
mod templates;
mod today_check;
mod typst_markup;
mod untrusted;
mod workbook_recalc;
