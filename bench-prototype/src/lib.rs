//! The bottleneck prototype: Flink's keyed stateful window operator under
//! hot-key load, its load driver, and the benchmark that writes
//! `data/bench/*.json`.
//!
//! Module map (inputs → job → measurements → report):
//! - [`inputs`], [`config`]: strict loaders of `data/` and `data/bench/scenarios.toml`;
//! - [`keys`], [`event`]: the production key distribution and the deterministic events;
//! - [`partition`]: the three partitioning strategies behind one trait;
//! - [`state`], [`operator`]: window state (heap, RocksDB) and the window and merge operators;
//! - [`runtime`]: source, subtasks and sink as threads, backpressure, checkpoints, failover;
//! - [`sweep`], [`fault`], [`driver`]: the experiments;
//! - [`report`]: the JSON written to `data/bench/`, and [`bench`]: the whole run.

pub mod bench;
pub mod codec;
pub mod config;
pub mod driver;
pub mod error;
pub mod event;
pub mod fault;
pub mod inputs;
pub mod keys;
pub mod operator;
pub mod partition;
pub mod report;
pub mod runtime;
pub mod state;
pub mod sweep;
