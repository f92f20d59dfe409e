//! The bottleneck prototype: Flink's keyed stateful window operator under
//! hot-key load, its load driver, and the benchmark that writes
//! `data/bench/*.json`.
//!
//! Module map (inputs → job → measurements → report):
//! - [`config`]: the scenarios of `data/bench/scenarios.toml`, loaded (like every
//!   file of `data/`) by the `pipeline-inputs` crate;
//! - [`keys`], [`event`]: the production key distribution and the deterministic events;
//! - [`month_plan`]: the month of the capacity plan the bisections replay;
//! - [`partition`]: the three partitioning strategies behind one trait;
//! - [`state`], [`operator`]: window state (heap, RocksDB) and the window and merge operators;
//! - [`runtime`]: source, subtasks and sink as threads, backpressure, checkpoints, failover;
//! - [`sweep`], [`fault`], [`driver`]: the experiments;
//! - [`report`]: the JSON written to `data/bench/` (its schema is the shared
//!   inputs crate's, which the generator reads), and [`bench`]: the whole run.

pub mod bench;
pub mod codec;
/// The benchmark's scenarios, as the shared inputs crate loads them.
pub use pipeline_inputs::scenarios as config;
pub mod driver;
pub mod error;
pub mod event;
pub mod fault;
pub mod keys;
pub mod month_plan;
pub mod operator;
pub mod partition;
pub mod report;
pub mod runtime;
pub mod state;
pub mod sweep;
