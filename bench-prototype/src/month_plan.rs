//! The month of the capacity plan the bisections replay (`data/bench/plan.tsv`,
//! written by `specgen build`): the keyed vertex's parallelism and
//! maxParallelism that month, every customer's share of its events and the
//! sub-keys the plan gives each, and the time scale at which this machine
//! can drive it.

use std::path::Path;
use std::sync::Arc;

use pipeline_inputs::bench_plan::{self, BenchPlan};

use crate::config::{Common, Strategy, SweepPlan};
use crate::error::{BenchError, Result};
use crate::event::EventGenerator;
use crate::keys::KeyDistribution;
use crate::partition::PartitionerSpec;

pub struct MonthPlan {
    pub plan: BenchPlan,
    pub keys: Arc<KeyDistribution>,
    pub generator: EventGenerator,
    /// Rates are divided and service times multiplied by this (see
    /// [`SweepPlan::time_scale`]): every subtask is as busy as at full rate.
    pub time_scale: f64,
}

impl MonthPlan {
    pub fn load(data_dir: &Path, common: &Common, sweep: &SweepPlan) -> Result<MonthPlan> {
        let path = data_dir.join("bench/plan.tsv");
        let plan = bench_plan::load(&path)?.ok_or_else(|| {
            BenchError::Runtime(format!(
                "{}: no plan to replay; `just spec` writes it from the model",
                path.display()
            ))
        })?;
        if plan.event_types.len() > usize::from(u8::MAX) + 1 {
            return Err(BenchError::Runtime(format!(
                "{}: {} event types; the prototype keys at most 256",
                path.display(),
                plan.event_types.len()
            )));
        }
        let keys = Arc::new(KeyDistribution::new(
            plan.customers.iter().map(|c| c.customer_id).collect(),
            plan.customers.iter().map(|c| c.share).collect(),
            plan.split_customers().len(),
            plan.event_types.iter().map(|e| e.0.clone()).collect(),
            plan.event_types.iter().map(|e| e.1).collect(),
        ));
        let time_scale = sweep.time_scale(plan.peak_records_per_s);
        Ok(MonthPlan {
            generator: EventGenerator::new(common, Arc::clone(&keys)),
            keys,
            time_scale,
            plan,
        })
    }

    /// The month's peak at the keyed vertex, time-scaled: the rate each
    /// bisection starts from.
    pub fn peak_rate(&self) -> f64 {
        (self.plan.peak_records_per_s / self.time_scale).round()
    }

    /// A strategy over the plan's subtasks and key groups; the sticky
    /// strategy splits the customers the plan splits, each into its own
    /// count (none when the plan chose another strategy).
    pub fn partitioner(&self, strategy: Strategy, common: &Common) -> PartitionerSpec {
        PartitionerSpec {
            strategy,
            parallelism: self.plan.keyed_parallelism,
            max_parallelism: self.plan.max_parallelism,
            event_type_names: self.keys.event_type_names.clone(),
            hot_customers: self.plan.split_customers(),
            sticky_batch_records: common.sticky_batch_records,
        }
    }
}
