//! `latency.md` (the p99 budget per stage and the critical path) and
//! `slo.md` (the four SLOs and their alerts).

use serde::Serialize;

use super::{Source, words};
use crate::inputs::Scenario;
use crate::model::latency::{LatencyBudget, Stage};

#[derive(Debug, Serialize)]
pub struct Latency {
    /// The base plan's last month, stage by stage.
    pub stages: Vec<StageRow>,
    pub target_ms: f64,
    pub total_p99_ms: f64,
    /// Whether every stage drains: a queue at or over capacity has no p99,
    /// and the template prints a dash for it.
    pub total_finite: bool,
    /// Whether the sum of stage p99s stays within the target.
    pub budget_holds: bool,
    pub headroom_ms: f64,
    pub months: Vec<LatencyMonth>,
    pub critical_path: CriticalPath,
    /// The records a network buffer carries to the keyed subtask at once.
    pub records_per_buffer: f64,
    /// The shards today's query p99 was measured over.
    pub shards_today: u32,
    /// The keyed queue's p99 in the first month and in the last.
    pub first_label: String,
    pub keyed_queueing_first_ms: f64,
    pub keyed_queueing_last_ms: f64,
}

#[derive(Debug, Serialize)]
pub struct StageRow {
    pub name: &'static str,
    /// What sets the stage's p99.
    pub basis: &'static str,
    pub p99_ms: f64,
    /// Whether the stage drains (its p99 is finite).
    pub finite: bool,
}

#[derive(Debug, Serialize)]
pub struct LatencyMonth {
    pub label: String,
    /// Whether the month's queues drain (its p99s are finite).
    pub finite: bool,
    pub keyed_queueing_p99_ms: f64,
    pub sink_flush_p99_ms: f64,
    pub total_p99_ms: f64,
    pub headroom_ms: f64,
}

/// The figures the critical-path table quotes.
#[derive(Debug, Serialize)]
pub struct CriticalPath {
    pub producer_linger_ms: f64,
    pub produce_p99_ms: f64,
    pub source_capacity_per_s: f64,
    pub buffer_timeout_ms: f64,
    pub service_time_us: f64,
    pub window_s: f64,
    pub watermark_out_of_orderness_ms: f64,
    pub flush_interval_ms: f64,
    pub merge_to_insert_ratio: f64,
    pub query_p99_ms: f64,
}

fn stage_p99(budget: &LatencyBudget, stage: Stage) -> f64 {
    budget
        .stages
        .iter()
        .find(|s| s.stage == stage)
        .map(|s| s.p99_ms)
        .expect("every plan budgets this stage")
}

pub fn latency(src: &Source<'_>) -> Latency {
    let last = src.months.last_plan();
    let budget = &last.latency;
    let a = &src.inputs.assumptions.latency;
    let flink = &src.inputs.architecture.flink;
    let first = *src.months.months.first().expect("a plan has months");
    Latency {
        stages: budget
            .stages
            .iter()
            .map(|s| StageRow {
                name: words::stage_name(s.stage),
                basis: words::stage_basis(s.stage),
                p99_ms: s.p99_ms,
                finite: s.p99_ms.is_finite(),
            })
            .collect(),
        target_ms: budget.target_ms,
        total_p99_ms: budget.total_p99_ms,
        total_finite: budget.total_p99_ms.is_finite(),
        budget_holds: budget.headroom_ms >= 0.0,
        headroom_ms: budget.headroom_ms,
        months: src
            .months
            .months
            .iter()
            .map(|&m| {
                let b = &src.months.plan(m, Scenario::Base).latency;
                LatencyMonth {
                    label: src.months.label(m).to_owned(),
                    finite: b.total_p99_ms.is_finite(),
                    keyed_queueing_p99_ms: stage_p99(b, Stage::KeyedQueueing),
                    sink_flush_p99_ms: stage_p99(b, Stage::SinkFlush),
                    total_p99_ms: b.total_p99_ms,
                    headroom_ms: b.headroom_ms,
                }
            })
            .collect(),
        records_per_buffer: crate::model::latency::records_per_buffer(
            src.inputs.assumptions.flink.network_buffer_kib.value,
            src.inputs.architecture.keyed_topic().avg_event_bytes,
        ),
        shards_today: src.inputs.architecture.clickhouse.shards,
        first_label: src.months.label(first).to_owned(),
        keyed_queueing_first_ms: stage_p99(
            &src.months.plan(first, Scenario::Base).latency,
            Stage::KeyedQueueing,
        ),
        keyed_queueing_last_ms: stage_p99(budget, Stage::KeyedQueueing),
        critical_path: CriticalPath {
            producer_linger_ms: a.producer_linger_ms.value,
            produce_p99_ms: a.produce_p99_ms.value,
            source_capacity_per_s: src
                .model
                .vertices
                .first()
                .expect("the job has a source vertex")
                .capacity_per_s,
            buffer_timeout_ms: a.buffer_timeout_ms.value,
            service_time_us: src.model.workload.keyed.service_time_us,
            window_s: flink.window_s,
            watermark_out_of_orderness_ms: flink.watermark_out_of_orderness_ms,
            flush_interval_ms: last.clickhouse.flush_interval_ms,
            merge_to_insert_ratio: src.model.workload.clickhouse.merge_to_insert_ratio,
            query_p99_ms: a.query_p99_ms.value,
        },
    }
}

#[derive(Debug, Serialize)]
pub struct Slos {
    pub window_days: f64,
    pub slos: Vec<SloRow>,
    /// The same for every SLO.
    pub alerts: Vec<AlertRow>,
    pub budget: BudgetView,
}

/// The lag SLOs' error budget against the plan's operations.
#[derive(Debug, Serialize)]
pub struct BudgetView {
    pub label: String,
    pub operations: Vec<OperationRow>,
    /// Per lag SLO, in the operations' column order.
    pub slos: Vec<BudgetRow>,
    pub all_within: bool,
    pub ingest_threshold_s: f64,
    pub ingest_threshold_plus_downstream_s: f64,
    pub downstream_s: f64,
    pub end_to_end_target_s: f64,
    pub ingest_fits_end_to_end: bool,
}

#[derive(Debug, Serialize)]
pub struct OperationRow {
    pub name: &'static str,
    pub per_window: f64,
    pub stopped_s: f64,
    pub backlog_s: f64,
    pub catch_up_s: f64,
    /// Expected bad minutes per window, per lag SLO.
    pub minutes: Vec<f64>,
}

#[derive(Debug, Serialize)]
pub struct BudgetRow {
    pub name: &'static str,
    /// Mid-sentence: "ingest lag".
    pub slo: String,
    pub threshold_s: f64,
    pub spent_minutes: f64,
    pub budget_minutes: f64,
    pub share_spent: f64,
    pub within: bool,
}

#[derive(Debug, Serialize)]
pub struct SloRow {
    pub name: &'static str,
    pub indicator: String,
    pub threshold: f64,
    pub unit: &'static str,
    pub target: f64,
    pub error_budget_minutes: f64,
    /// The model's p99 of the indicator's quantity in the last month; none
    /// when the prototype measures it instead.
    pub predicted: Option<f64>,
    /// Whether that prediction meets the threshold (a verdict of the diff).
    pub met: Option<bool>,
}

#[derive(Debug, Serialize)]
pub struct AlertRow {
    pub severity: &'static str,
    pub burn_rate: f64,
    pub long_window_h: f64,
    pub short_window_min: f64,
    pub budget_spent: f64,
}

pub fn slos(src: &Source<'_>) -> Slos {
    let slos = &src.model.slos;
    let first = slos.first().expect("the model states its SLOs");
    // The query SLI is judged over windows as long as the metrics' samples.
    let (window, _) = words::interval(crate::inputs::metrics::STEP_S);
    Slos {
        window_days: first.window_days,
        slos: slos
            .iter()
            .map(|s| SloRow {
                name: words::slo_name(s.kind),
                indicator: words::slo_indicator(s.kind, &window),
                threshold: s.threshold,
                unit: s.unit,
                target: s.target,
                error_budget_minutes: s.error_budget_minutes,
                predicted: s.predicted,
                met: s.met,
            })
            .collect(),
        budget: budget(src),
        alerts: first
            .alerts
            .iter()
            .map(|a| AlertRow {
                severity: a.severity,
                burn_rate: a.burn_rate,
                long_window_h: a.long_window_h,
                short_window_min: a.short_window_h * 60.0,
                budget_spent: a.budget_spent,
            })
            .collect(),
    }
}

fn budget(src: &Source<'_>) -> BudgetView {
    use crate::model::error_budget::Operation;
    let b = &src.model.error_budget;
    let operations = b
        .operations
        .iter()
        .map(|o| OperationRow {
            name: match o.operation {
                Operation::TaskManagerFailure => "A TaskManager lost",
                Operation::Deploy => "A deploy",
                Operation::Rescale => "A rescale of the keyed vertex",
                Operation::PartitionIncrease => "A partition increase",
            },
            per_window: o.per_window,
            stopped_s: o.stopped_s,
            backlog_s: o.backlog_s,
            catch_up_s: o.catch_up_s,
            minutes: o
                .bad_s_each
                .iter()
                .map(|s| o.per_window * s / 60.0)
                .collect(),
        })
        .collect();
    let slos: Vec<BudgetRow> = b
        .slos
        .iter()
        .map(|s| BudgetRow {
            name: words::slo_name(s.kind),
            slo: words::slo_name(s.kind).to_lowercase(),
            threshold_s: s.threshold_s,
            spent_minutes: s.spent_minutes,
            budget_minutes: s.budget_minutes,
            share_spent: s.spent_minutes / s.budget_minutes,
            within: s.within,
        })
        .collect();
    let ingest_threshold_s = src.inputs.assumptions.slo.ingest_lag_threshold_s.value;
    BudgetView {
        label: src.months.label(b.month).to_owned(),
        operations,
        all_within: slos.iter().all(|s| s.within),
        slos,
        ingest_threshold_s,
        ingest_threshold_plus_downstream_s: b.ingest_threshold_plus_downstream_s,
        downstream_s: b.ingest_threshold_plus_downstream_s - ingest_threshold_s,
        end_to_end_target_s: b.end_to_end_target_s,
        ingest_fits_end_to_end: b.ingest_threshold_fits_end_to_end,
    }
}
