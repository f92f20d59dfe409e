//! `rollout.md` (risks, the plan by quarter, the first quarter's steps, open
//! questions), which the readout shares.

use serde::Serialize;

use super::capacity::{self, Swing};
use super::text::{Code, Text};
use super::{Source, words};
use crate::inputs::Scenario;
use crate::model::rollout::Resource;

/// Open questions: the uncertain assumptions with the largest cost swings.
const OPEN_QUESTIONS: usize = 3;

#[derive(Debug, Serialize)]
pub struct Rollout {
    pub risks: Risks,
    pub quarters: Vec<Quarter>,
    /// In whole USD, or a dash when a quarter has no price.
    pub total_cost: String,
    pub priced: bool,
    pub total_cost_doing_nothing: f64,
    /// The year's cost beyond today's run-rate, when the year has a price.
    pub increment: Option<Increment>,
    /// Unformatted, for the readout's rounding: the year's cost, its
    /// difference from today's run-rate without its sign, and today's
    /// footprint for one quarter.
    pub total_cost_usd: f64,
    pub increment_usd: f64,
    pub run_rate_usd: f64,
    /// The first month today's footprint no longer carries, and why.
    pub doing_nothing_fails: Option<String>,
    pub shortfalls: Vec<Shortfall>,
    /// The quarter the changes ship in.
    pub first_quarter: FirstQuarter,
    /// Today's maxParallelism, and the plan's when it differs.
    pub max_parallelism_today: u32,
    pub max_parallelism_change: Option<MaxParallelismChange>,
    pub open_questions: Vec<Swing>,
    /// Engineer-weeks over the year, and who estimated the changes, each once.
    pub year_weeks: f64,
    pub estimated_by: Vec<Text>,
    pub task_manager_replacement_s: f64,
    pub keeper_recovery_s: f64,
    /// What the fleet carries in the last month the plan carries.
    pub headroom: Option<Headroom>,
}

/// The fleet of one month against its peak: the readout's chart in words.
#[derive(Debug, Serialize)]
pub struct Headroom {
    pub label: String,
    /// Events/s at which `stage` would be 100% busy.
    pub carries_events_per_s: f64,
    pub stage: &'static str,
    /// That over the base forecast's peak.
    pub times_base_peak: f64,
    /// The high forecast's peak that month, as a share of what the fleet carries.
    pub high_peak_events_per_s: f64,
    pub high_share: f64,
    /// Whether the high forecast's peak is more than the fleet carries.
    pub high_beyond: bool,
}

#[derive(Debug, Serialize)]
pub struct Risks {
    pub high_growth: HighGrowth,
    /// The uncertain assumption with the largest cost swing.
    pub top_swing: Option<Swing>,
    /// The keyed target utilization: the headroom against the model's own error.
    pub target_utilization: f64,
    /// Adding partitions to the keyed topic moves keys between partitions.
    pub partitions_move: Option<PartitionsMove>,
}

/// What the plan's year costs beside today's footprint over the same months.
#[derive(Debug, Serialize)]
pub struct Increment {
    /// The difference, in whole USD, without its sign.
    pub amount: String,
    /// Whether the plan costs more than today's footprint (else less or the same).
    pub more: bool,
    /// Whether the two cost the same to the dollar.
    pub same: bool,
}

impl Increment {
    fn of(difference: f64) -> Increment {
        Increment {
            amount: words::usd(Some(difference.abs())),
            more: difference.round() > 0.0,
            same: difference.round() == 0.0,
        }
    }
}

/// The last month the plan carries, if growth follows the high scenario.
#[derive(Debug, Serialize)]
pub struct HighGrowth {
    pub label: String,
    /// Whether the plan carries that month in the high scenario too; when
    /// not, `high_stops` is the first month it does not.
    pub high_carried: bool,
    pub high_stops: String,
    pub cost_high: f64,
    pub cost_base: f64,
    pub task_managers_high: String,
    pub shards_high: u32,
}

#[derive(Debug, Serialize)]
pub struct PartitionsMove {
    /// The plan's one increase: when, to how many, and the events it moves.
    pub label: String,
    pub to: u32,
    pub moved_share: f64,
    pub topic: Code,
    pub partitions_today: u32,
}

#[derive(Debug, Serialize)]
pub struct MaxParallelismChange {
    pub today: u32,
    pub plan: u32,
    /// The keyed state when the change ships (the first quarter's first
    /// month), which a restart with the new key groups starts without.
    pub state_mb: f64,
    /// What the new job replays from the committed Kafka offsets to rebuild
    /// it: the open windows, one window plus the watermark delay and lateness.
    pub replay_s: f64,
}

#[derive(Debug, Serialize)]
pub struct Quarter {
    pub label: String,
    /// The first quarter: the one the changes ship in.
    pub opens_plan: bool,
    /// The capacity to have in place, or dashes in a quarter the plan does
    /// not carry: what its search reached is no fleet to build.
    pub brokers: String,
    pub partitions: String,
    pub keyed_subtasks: String,
    pub task_managers: String,
    pub shards: String,
    pub clickhouse_nodes: String,
    /// `shards (nodes)`, or one dash.
    pub shards_and_nodes: String,
    /// In whole USD per scenario, or a dash where the plan does not carry
    /// one of the quarter's months.
    pub cost_low: String,
    pub cost: String,
    pub cost_high: String,
    /// `low–high`, or a dash when either has no price.
    pub cost_range: String,
    /// Whether the base plan carries every month of the quarter.
    pub priced: bool,
    pub cost_doing_nothing: f64,
    /// Unformatted, for the readout's rounding (0 where `priced` is false).
    pub cost_usd: f64,
    /// The quarter's cost beyond today's footprint over the same months (0 where not priced).
    pub over_today_usd: f64,
    pub today_carries: bool,
    /// The changes the quarter makes, and their engineer-weeks in all.
    pub changes: Vec<ChangeRow>,
    pub people_weeks: f64,
    /// What releases the quarter's funds; none for the first, the ask itself.
    pub gate: Option<GateRow>,
}

#[derive(Debug, Serialize)]
pub struct ChangeRow {
    pub name: Text,
    pub weeks: f64,
    pub estimated_by: Text,
}

#[derive(Debug, Serialize)]
pub struct GateRow {
    /// The month whose forecast peak the measured peak must reach.
    pub label: String,
    pub peak_events_per_s: f64,
    /// The onboardings going live in the quarter, by name.
    pub onboardings: Vec<Text>,
}

#[derive(Debug, Serialize)]
pub struct FirstQuarter {
    pub label: String,
    pub cost: String,
    pub priced: bool,
    /// The quarter's cost beside today's footprint over the same months,
    /// when it has a price.
    pub against_today: Option<Increment>,
    pub cost_usd: f64,
    /// The difference from today's footprint, without its sign.
    pub against_today_usd: f64,
    pub people_weeks: f64,
    pub changes: Vec<ChangeRow>,
}

/// A resource today's footprint is short of.
#[derive(Debug, Serialize)]
pub struct Shortfall {
    /// A customer alone is hotter than a partition or a subtask may be: no count helps.
    pub hot_key: bool,
    /// The system that lacks it ("Kafka") and the resource ("brokers"), and
    /// the resource named on its own ("ClickHouse shards").
    pub owner: &'static str,
    pub resource: &'static str,
    pub resource_in_full: &'static str,
    pub needed: Option<u32>,
    pub today: u32,
}

pub fn build(src: &Source<'_>) -> Rollout {
    let model = src.model;
    let r = &model.rollout;
    let m = &src.months;
    // The risks stand on the last month the plan carries: past it there is
    // no fleet to price.
    let last = model.last_carried_month;
    let high = m.plan(last, Scenario::High);
    let base = m.plan(last, Scenario::Base);
    let high_stops = (1..=last)
        .find(|&month| !m.plan(month, Scenario::High).carried)
        .map_or_else(String::new, |month| m.label(month).to_owned());
    let first = r.quarters.first().expect("the plan has quarters");
    let today_max = model.workload.keyed.max_parallelism;
    let topic = src.inputs.architecture.keyed_topic();
    let a = &src.inputs.assumptions;
    let swings = capacity::swings(src);
    let people = |q: usize| &model.people.quarters[q];
    // Who estimated the changes the plan makes, each named once, in order.
    let mut estimated_by: Vec<&str> = Vec::new();
    for q in &model.people.quarters {
        for c in &q.changes {
            let by = src.inputs.effort.of(&c.id).estimated_by.as_str();
            if !estimated_by.contains(&by) {
                estimated_by.push(by);
            }
        }
    }
    let headroom = model.headroom.iter().find(|h| h.month == last).map(|h| {
        let high_peak = m.load(last, Scenario::High).peak_events_per_s;
        Headroom {
            label: h.label.clone(),
            carries_events_per_s: h.carries_events_per_s,
            stage: words::fleet_stage(h.stage),
            times_base_peak: h.headroom(),
            high_peak_events_per_s: high_peak,
            high_share: high_peak / h.carries_events_per_s,
            high_beyond: high_peak > h.carries_events_per_s,
        }
    });
    Rollout {
        headroom,
        risks: Risks {
            high_growth: HighGrowth {
                label: m.label(last).to_owned(),
                high_carried: high.carried,
                high_stops,
                cost_high: high.cost.total,
                cost_base: base.cost.total,
                task_managers_high: words::count(high.flink.task_managers),
                shards_high: high.clickhouse.shards,
            },
            top_swing: swings.first().cloned(),
            target_utilization: a.flink.target_utilization.value,
            partitions_move: model.partition_schedule.base.increases.first().map(|i| {
                PartitionsMove {
                    topic: Code::new(&topic.name),
                    partitions_today: topic.partitions,
                    label: m.label(i.month).to_owned(),
                    to: i.to,
                    moved_share: i.moved_share,
                }
            }),
        },
        quarters: r
            .quarters
            .iter()
            .enumerate()
            .map(|(i, q)| {
                let carried = q.cost.is_some();
                let count = |n: Option<u32>| words::count(n.filter(|_| carried));
                Quarter {
                    label: q.label.clone(),
                    opens_plan: i == 0,
                    brokers: count(Some(q.brokers)),
                    partitions: count(q.partitions),
                    keyed_subtasks: count(q.keyed_subtasks),
                    task_managers: count(q.task_managers),
                    shards: count(Some(q.shards)),
                    clickhouse_nodes: count(Some(q.clickhouse_nodes)),
                    shards_and_nodes: if carried {
                        format!(
                            "{} ({})",
                            count(Some(q.shards)),
                            count(Some(q.clickhouse_nodes))
                        )
                    } else {
                        count(None)
                    },
                    cost_low: words::usd(q.cost_low),
                    cost: words::usd(q.cost),
                    cost_high: words::usd(q.cost_high),
                    cost_range: match (q.cost_low, q.cost_high) {
                        (Some(low), Some(high)) => {
                            format!("{}–{}", words::usd(Some(low)), words::usd(Some(high)))
                        }
                        _ => words::usd(None),
                    },
                    priced: carried,
                    cost_doing_nothing: q.cost_doing_nothing,
                    cost_usd: q.cost.unwrap_or(0.0),
                    over_today_usd: q.cost.map_or(0.0, |c| c - q.cost_doing_nothing),
                    today_carries: q.today_carries,
                    changes: change_rows(src, people(i)),
                    people_weeks: people(i).weeks,
                    gate: people(i).gate.as_ref().map(|g| GateRow {
                        label: m.label(g.month).to_owned(),
                        peak_events_per_s: g.peak_events_per_s,
                        onboardings: g
                            .onboardings
                            .iter()
                            .map(|&o| Text::new(&src.inputs.forecast.onboardings[o].customer))
                            .collect(),
                    }),
                }
            })
            .collect(),
        total_cost: words::usd(r.total_cost),
        priced: r.total_cost.is_some(),
        total_cost_doing_nothing: r.total_cost_doing_nothing,
        increment: r.increment_over_today.map(Increment::of),
        total_cost_usd: r.total_cost.unwrap_or(0.0),
        increment_usd: r.increment_over_today.map_or(0.0, f64::abs),
        run_rate_usd: first.cost_doing_nothing,
        doing_nothing_fails: r.doing_nothing_fails.clone(),
        shortfalls: r
            .shortfalls
            .iter()
            .map(|s| {
                let (owner, resource, resource_in_full) = words::shortfall(s.resource);
                Shortfall {
                    hot_key: s.resource == Resource::HotKey,
                    owner,
                    resource,
                    resource_in_full,
                    needed: s.needed,
                    today: s.today,
                }
            })
            .collect(),
        first_quarter: FirstQuarter {
            label: first.label.clone(),
            cost: words::usd(first.cost),
            priced: first.cost.is_some(),
            against_today: first
                .cost
                .map(|c| Increment::of(c - first.cost_doing_nothing)),
            cost_usd: first.cost.unwrap_or(0.0),
            against_today_usd: first
                .cost
                .map_or(0.0, |c| (c - first.cost_doing_nothing).abs()),
            people_weeks: people(0).weeks,
            changes: change_rows(src, people(0)),
        },
        max_parallelism_today: today_max,
        max_parallelism_change: (first.max_parallelism != today_max).then(|| {
            let f = &src.inputs.architecture.flink;
            MaxParallelismChange {
                today: today_max,
                plan: first.max_parallelism,
                state_mb: m.plan(first.from_month, Scenario::Base).flink.state_bytes
                    / crate::model::kafka::BYTES_PER_MB,
                replay_s: f.window_s
                    + (f.watermark_out_of_orderness_ms + f.allowed_lateness_ms) / 1000.0,
            }
        }),
        open_questions: swings.into_iter().take(OPEN_QUESTIONS).collect(),
        year_weeks: model.people.year_weeks,
        estimated_by: estimated_by.into_iter().map(Text::new).collect(),
        task_manager_replacement_s: a.fault.task_manager_replacement_s.value,
        keeper_recovery_s: a.fault.keeper_recovery_s.value,
    }
}

/// A quarter's changes with their estimates, as the plan orders them.
fn change_rows(src: &Source<'_>, q: &crate::model::people::QuarterPeople) -> Vec<ChangeRow> {
    q.changes
        .iter()
        .map(|c| {
            let e = src.inputs.effort.of(&c.id);
            ChangeRow {
                name: Text::new(&e.name),
                weeks: c.weeks,
                estimated_by: Text::new(&e.estimated_by),
            }
        })
        .collect()
}
