//! `specgen`: a capacity spec for a Kafka → Flink → ClickHouse pipeline, built from `data/`.
//!
//! The pipeline reads top to bottom: [`inputs`] (load and validate) →
//! [`model`] (compute) → [`view`] (what the templates print) → [`render`]
//! (charts, Markdown, PDFs, site, workbook). [`build`] runs it end to end.

pub mod build;
pub mod diff;
pub mod engine;
pub mod error;
pub mod model;
pub mod render;
pub mod rng;
pub mod synth;
pub mod view;

pub use error::{Error, InputError, Result};
/// `data/` is read by its own crate, shared with the prototype.
pub use pipeline_inputs as inputs;
