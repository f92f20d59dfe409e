//! Load by month (`growth.md`) and the sizing of every stage by month
//! (`sizing.md` and its partials `_kafka.md`, `_flink.md`, `_clickhouse.md`, `_cost.md`).

use serde::Serialize;

use super::cross_zone::{self, CrossZoneView};
use super::text::{Code, Text};
use super::{Months, Source, words};
use crate::inputs::Scenario;
use crate::model::MonthPlan;
use crate::model::bound::Binding;
use crate::model::clickhouse::ShardBound;
use crate::model::flink::{MIN_KEY_GROUPS_PER_SUBTASK, VertexSizing};
use crate::model::kafka::{BYTES_PER_MB, BrokerBound, TopicLoad};
use crate::model::storage_levers::{Lever, LeverCost, Maturity};
use crate::model::task_managers::{Bound, Shape};
use crate::render::markdown::group;

/// The keyed vertex of a month's sizing.
fn keyed(plan: &MonthPlan) -> &VertexSizing {
    plan.flink
        .vertices
        .iter()
        .find(|v| v.keyed)
        .expect("one keyed vertex")
}

/// The keyed topic's load in a month's plan.
fn keyed_topic<'a>(plan: &'a MonthPlan, name: &str) -> &'a TopicLoad {
    plan.topics
        .iter()
        .find(|t| t.topic == name)
        .expect("the keyed topic is planned")
}

/// One row per plan month from the low, base and high plans of that month.
fn by_month<T>(
    m: &Months<'_>,
    row: impl Fn(String, &MonthPlan, &MonthPlan, &MonthPlan) -> T,
) -> Vec<T> {
    m.months
        .iter()
        .map(|&month| {
            row(
                m.label(month).to_owned(),
                m.plan(month, Scenario::Low),
                m.plan(month, Scenario::Base),
                m.plan(month, Scenario::High),
            )
        })
        .collect()
}

/// `growth.md`.
#[derive(Debug, Serialize)]
pub struct Growth {
    pub peak_to_mean: f64,
    pub months: Vec<GrowthRow>,
    /// Every topic in every month, base scenario.
    pub topics: Vec<TopicMonthRow>,
}

#[derive(Debug, Serialize)]
pub struct GrowthRow {
    pub label: String,
    pub low_avg_events_per_s: f64,
    pub base_avg_events_per_s: f64,
    pub high_avg_events_per_s: f64,
    pub base_peak_events_per_s: f64,
    pub base_customers: f64,
}

#[derive(Debug, Serialize)]
pub struct TopicMonthRow {
    pub label: String,
    pub topic: Code,
    pub avg_events_per_s: f64,
    pub peak_events_per_s: f64,
    pub avg_mb_per_s: f64,
    pub peak_mb_per_s: f64,
}

pub fn growth(src: &Source<'_>) -> Growth {
    let m = &src.months;
    let topic = src.inputs.architecture.keyed_topic();
    Growth {
        peak_to_mean: src.model.workload.topic(&topic.name).peak_to_mean,
        months: m
            .months
            .iter()
            .map(|&month| {
                let base = m.load(month, Scenario::Base);
                GrowthRow {
                    label: base.label.clone(),
                    low_avg_events_per_s: m.load(month, Scenario::Low).avg_events_per_s,
                    base_avg_events_per_s: base.avg_events_per_s,
                    high_avg_events_per_s: m.load(month, Scenario::High).avg_events_per_s,
                    base_peak_events_per_s: base.peak_events_per_s,
                    base_customers: base.customers,
                }
            })
            .collect(),
        topics: m
            .months
            .iter()
            .flat_map(|&month| {
                m.plan(month, Scenario::Base)
                    .topics
                    .iter()
                    .map(move |t| TopicMonthRow {
                        label: m.label(month).to_owned(),
                        topic: Code::new(&t.topic),
                        avg_events_per_s: t.avg_events_per_s,
                        peak_events_per_s: t.peak_events_per_s,
                        avg_mb_per_s: t.avg_mb_per_s,
                        peak_mb_per_s: t.peak_mb_per_s,
                    })
            })
            .collect(),
    }
}

/// `sizing.md`: every stage by month under the chosen strategy.
#[derive(Debug, Serialize)]
pub struct Sizing {
    pub kafka: Kafka,
    pub flink: Flink,
    pub clickhouse: ClickHouse,
    pub cost: Vec<CostRow>,
    /// The bytes that cross zones in the last month the plan carries.
    pub cross_zone: CrossZoneView,
    /// Every lever that saves money on that month, storage and cross-zone,
    /// most first: the readout's list.
    pub cost_levers: Vec<Saver>,
    /// What sets each component's count in the last month the plan carries.
    pub binding: BindingView,
}

/// The Kafka storage levers, each recomputed on one month (base scenario).
#[derive(Debug, Serialize)]
pub struct StorageView {
    pub label: String,
    pub rows: Vec<StorageRow>,
    /// The lever that saves most, when one saves anything.
    pub best: Option<BestLever>,
    /// The levers that save money, most first, their savings rounded for
    /// the readout.
    pub savers: Vec<Saver>,
    /// What the Kafka version that runs makes of tiered storage: "early
    /// access in Kafka 3.6, not for production: …".
    pub tiered_maturity: String,
    pub tiered_available: bool,
}

#[derive(Debug, Serialize)]
pub struct StorageRow {
    pub lever: String,
    pub brokers: u32,
    pub set_by: &'static str,
    pub kafka_usd_per_month: String,
    /// What it saves on the plan's Kafka line; a minus when it costs more.
    pub saving_usd_per_month: String,
    pub gives_up: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Saver {
    /// What it saves a month, unrounded: the order of the readout's list.
    #[serde(skip)]
    pub saving: f64,
    pub lever: String,
    /// The cost line it saves on: "Kafka", "cross-zone traffic".
    pub on: &'static str,
    /// Two significant figures: "49,000".
    pub saving_usd_per_month: String,
    pub gives_up: String,
}

#[derive(Debug, Serialize)]
pub struct BestLever {
    pub lever: String,
    pub saving_usd_per_month: String,
    pub brokers: u32,
}

/// The bound that sets each count, for one month (base scenario).
#[derive(Debug, Serialize)]
pub struct BindingView {
    pub label: String,
    pub rows: Vec<BindingRow>,
}

#[derive(Debug, Serialize)]
pub struct BindingRow {
    pub component: &'static str,
    pub count: u32,
    pub set_by: &'static str,
    /// The count were the binding bound relieved, and what would set it;
    /// `None` when another bound gives the same count (relieving one moves nothing).
    pub next: Option<NextBound>,
    /// What would relieve the binding bound.
    pub lever: &'static str,
}

#[derive(Debug, Serialize)]
pub struct NextBound {
    pub count: u32,
    pub set_by: &'static str,
}

#[derive(Debug, Serialize)]
pub struct Kafka {
    /// What one source subtask reads at 100% busy: `c` of the partition rule.
    pub source_capacity_per_s: f64,
    pub partitions: Vec<PartitionRow>,
    pub schedule: PartitionScheduleView,
    pub brokers: Vec<BrokerRow>,
    /// The storage levers weighed on the last month the plan carries.
    pub storage: StorageView,
}

/// The keyed topic's partition increases under the plan's policy, and the
/// alternative of growing in steps (base scenario).
#[derive(Debug, Serialize)]
pub struct PartitionScheduleView {
    pub today: u32,
    pub increases: Vec<IncreaseRow>,
    /// Growing in steps instead: how many increases, and the least and most
    /// of the events one of them moves.
    pub steps_increases: usize,
    pub steps_moved_min: f64,
    pub steps_moved_max: f64,
    /// The steps schedule has more increases than the plan's.
    pub steps_differ: bool,
}

#[derive(Debug, Serialize)]
pub struct IncreaseRow {
    pub label: String,
    pub from: u32,
    pub to: u32,
    pub moved_share: f64,
}

#[derive(Debug, Serialize)]
pub struct PartitionRow {
    pub label: String,
    pub peak_events_per_s: f64,
    pub peak_mb_per_s: f64,
    pub for_produce: u32,
    pub for_consume: u32,
    pub hottest_share: f64,
    pub low: String,
    pub base: String,
    pub high: String,
    /// What the topic has under the partition schedule (base scenario).
    pub planned: u32,
}

#[derive(Debug, Serialize)]
pub struct BrokerRow {
    pub label: String,
    pub ingress_mb_per_s: f64,
    pub for_storage_throughput: u32,
    pub for_network_in: u32,
    pub for_network_out: u32,
    pub retained_gb: f64,
    pub for_disk: u32,
    pub for_partitions: u32,
    pub low: u32,
    pub base: u32,
    pub high: u32,
    /// The bound that sets the base count.
    pub set_by: &'static str,
}

#[derive(Debug, Serialize)]
pub struct Flink {
    pub vertices: Vec<VertexRow>,
    /// `u`: the busy ratio the hottest subtask may reach at peak.
    pub target_utilization: f64,
    /// The fewest key groups per subtask the plan's maxParallelism leaves, in words.
    pub key_groups_per_subtask: String,
    pub months: Vec<KeyedRow>,
    pub fleet: Fleet,
}

/// The TaskManagers: the shape the plan runs, today's cluster read by the
/// same rules, and the four bounds month by month.
#[derive(Debug, Serialize)]
pub struct Fleet {
    #[serde(flatten)]
    pub shape: Shape,
    pub write_buffer_ratio: f64,
    pub today: FleetToday,
    pub months: Vec<FleetRow>,
    /// The base plan's last month, when every vertex fits.
    pub last: Option<FleetLast>,
}

#[derive(Debug, Serialize)]
pub struct FleetToday {
    pub task_managers: u32,
    pub vcpu: f64,
    pub memory_gib: f64,
    pub vcpu_total: f64,
    pub slots_total: u32,
    /// The widest vertex today: the slots the job takes.
    pub slots_used: u32,
    pub busy_vcpu: f64,
    pub cpu_utilization: f64,
    pub by_slots: u32,
    pub by_cpu: u32,
    pub by_memory: u32,
    /// The count the plan's rules would give today's peak, without the floor.
    pub by_rules: u32,
    /// Whether today runs more TaskManagers than those rules give.
    pub over_rules: bool,
}

#[derive(Debug, Serialize)]
pub struct FleetRow {
    pub label: String,
    pub slots: String,
    pub busy_vcpu: String,
    pub memory_gib: String,
    pub by_slots: String,
    pub by_cpu: String,
    pub by_memory: String,
    pub task_managers_low: String,
    pub task_managers: String,
    pub task_managers_high: String,
    pub set_by: String,
    pub cpu_utilization: String,
}

#[derive(Debug, Serialize)]
pub struct FleetLast {
    pub label: String,
    pub task_managers: u32,
    pub set_by: &'static str,
    pub slots: u32,
    pub busy_vcpu: f64,
    pub vcpu_total: f64,
    pub cpu_utilization: f64,
    /// When slots set the count: more slots per TaskManager would need fewer.
    pub lever: Option<SlotLever>,
}

#[derive(Debug, Serialize)]
pub struct SlotLever {
    pub slots_per_task_manager: u32,
    pub task_managers: u32,
    pub set_by: &'static str,
    pub fewer: u32,
    pub saving_per_month: f64,
}

#[derive(Debug, Serialize)]
pub struct VertexRow {
    pub name: Code,
    pub keyed: bool,
    pub records_per_event: f64,
    pub capacity_per_s: f64,
    pub parallelism_today: u32,
}

#[derive(Debug, Serialize)]
pub struct KeyedRow {
    pub label: String,
    /// The source vertex: subtasks, and its busiest reader's busy ratio.
    pub source_parallelism: String,
    pub source_busiest_utilization: f64,
    pub records_in_per_s: f64,
    pub lower_bound: u32,
    pub parallelism: String,
    pub max_parallelism: u32,
    pub hottest_utilization: f64,
    pub state_mb: f64,
    /// Seconds with two decimals, or a dash when the job does not fit.
    pub checkpoint_duration_s: String,
}

#[derive(Debug, Serialize)]
pub struct ClickHouse {
    pub rows_per_event: f64,
    pub max_parts: f64,
    /// Whether production crossed the parts level: if not, the rate is a lower bound.
    pub limit_observed: bool,
    pub merge_safe_rows_per_s_per_shard: f64,
    pub months: Vec<ShardRow>,
    pub batch: super::clickhouse::Batch,
}

#[derive(Debug, Serialize)]
pub struct ShardRow {
    pub label: String,
    pub peak_rows_per_s: f64,
    pub for_merges: u32,
    pub for_catch_up: u32,
    pub retained_gb: f64,
    pub for_disk: u32,
    pub shards_low: u32,
    pub shards: u32,
    pub shards_high: u32,
    pub nodes: u32,
    pub peak_rows_per_s_per_shard: f64,
    pub flush_interval_ms: f64,
    pub rows_per_part: f64,
    /// The bound that sets the base count.
    pub set_by: &'static str,
}

#[derive(Debug, Serialize)]
pub struct CostRow {
    pub label: String,
    pub kafka: f64,
    /// The Flink cost and the totals, or a dash in a month whose plan has
    /// no TaskManager count: no fleet carries it, so it has no cost.
    pub flink: String,
    pub clickhouse: f64,
    pub cross_zone: f64,
    pub total_low: String,
    pub total: String,
    pub total_high: String,
}

pub fn build(src: &Source<'_>) -> Sizing {
    let m = &src.months;
    let model = src.model;
    let topic = src.inputs.architecture.keyed_topic();
    let partitions = by_month(m, |label, low, base, high| {
        let t = keyed_topic(base, &topic.name);
        PartitionRow {
            label,
            peak_events_per_s: t.peak_events_per_s,
            peak_mb_per_s: t.peak_mb_per_s,
            for_produce: base.partitions.for_produce,
            for_consume: base.partitions.for_consume,
            hottest_share: base.partitions.hottest_share,
            low: words::fit(low.partitions.partitions),
            base: words::fit(base.partitions.partitions),
            high: words::fit(high.partitions.partitions),
            planned: base.partitions_planned,
        }
    });
    let brokers = by_month(m, |label, low, base, high| {
        let b = &base.brokers;
        BrokerRow {
            label,
            ingress_mb_per_s: b.ingress_mb_per_s,
            for_storage_throughput: b.for_storage_throughput,
            for_network_in: b.for_network_in,
            for_network_out: b.for_network_out,
            retained_gb: b.retained_gb,
            for_disk: b.for_disk,
            for_partitions: b.for_partitions,
            low: low.brokers.brokers,
            base: b.brokers,
            high: high.brokers.brokers,
            set_by: b.binding.bound.name(),
        }
    });
    let keyed_months = by_month(m, |label, _, base, _| {
        let v = keyed(base);
        let source = &base.flink.vertices[0];
        KeyedRow {
            label,
            source_parallelism: words::fit(source.parallelism),
            source_busiest_utilization: source.hottest_utilization,
            records_in_per_s: v.records_in_per_s,
            lower_bound: v.lower_bound,
            parallelism: words::fit(v.parallelism),
            max_parallelism: v.max_parallelism,
            hottest_utilization: v.hottest_utilization,
            state_mb: base.flink.state_bytes / BYTES_PER_MB,
            checkpoint_duration_s: words::figure_or_dash(base.flink.checkpoint_duration_s, 2),
        }
    });
    let shard_months = by_month(m, |label, low, base, high| {
        let c = &base.clickhouse;
        ShardRow {
            label,
            peak_rows_per_s: c.peak_rows_per_s,
            for_merges: c.for_merges,
            for_catch_up: c.for_catch_up,
            retained_gb: c.retained_gb,
            for_disk: c.for_disk,
            shards_low: low.clickhouse.shards,
            shards: c.shards,
            shards_high: high.clickhouse.shards,
            nodes: c.nodes,
            peak_rows_per_s_per_shard: c.peak_rows_per_s_per_shard,
            flush_interval_ms: c.flush_interval_ms,
            rows_per_part: c.rows_per_part,
            set_by: c.binding.bound.name(),
        }
    });
    // The Flink line needs a TaskManager count; the totals a month the plan
    // carries: without either, a figure would read as a price.
    let total = |plan: &MonthPlan| words::usd(plan.carried.then_some(plan.cost.total));
    let cost = by_month(m, |label, low, base, high| CostRow {
        label,
        kafka: base.cost.kafka,
        flink: words::usd(base.flink.task_managers.map(|_| base.cost.flink)),
        clickhouse: base.cost.clickhouse,
        cross_zone: base.cost.cross_zone,
        total_low: total(low),
        total: total(base),
        total_high: total(high),
    });
    let source = model.vertices.first().expect("the job has a source vertex");
    let binding = binding_view(src);
    let storage = storage_view(src);
    let cross_zone = cross_zone::build(src);
    let cost_levers = cost_levers(src, &storage);
    Sizing {
        binding,
        kafka: Kafka {
            source_capacity_per_s: source.capacity_per_s,
            partitions,
            schedule: PartitionScheduleView {
                today: topic.partitions,
                increases: model
                    .partition_schedule
                    .base
                    .increases
                    .iter()
                    .map(|i| IncreaseRow {
                        label: m.label(i.month).to_owned(),
                        from: i.from,
                        to: i.to,
                        moved_share: i.moved_share,
                    })
                    .collect(),
                steps_increases: model.partition_steps.increases.len(),
                steps_moved_min: model
                    .partition_steps
                    .increases
                    .iter()
                    .map(|i| i.moved_share)
                    .reduce(f64::min)
                    .unwrap_or(0.0),
                steps_moved_max: model
                    .partition_steps
                    .increases
                    .iter()
                    .map(|i| i.moved_share)
                    .fold(0.0, f64::max),
                steps_differ: model.partition_steps.increases.len()
                    > model.partition_schedule.base.increases.len(),
            },
            brokers,
            storage,
        },
        flink: Flink {
            vertices: model
                .vertices
                .iter()
                .map(|v| VertexRow {
                    name: Code::new(&v.name),
                    keyed: v.keyed,
                    records_per_event: v.records_per_event,
                    capacity_per_s: v.capacity_per_s,
                    parallelism_today: v.parallelism_today,
                })
                .collect(),
            target_utilization: src.inputs.assumptions.flink.target_utilization.value,
            // The plan's rule applied to one subtask that has no key groups
            // today: the key groups it gives each subtask at the least.
            key_groups_per_subtask: words::count_word(u64::from(MIN_KEY_GROUPS_PER_SUBTASK)),
            months: keyed_months,
            fleet: fleet(src),
        },
        clickhouse: ClickHouse {
            rows_per_event: model.clickhouse_rows_per_event,
            max_parts: model.merge_safe.max_parts,
            limit_observed: model.merge_safe.limit_observed,
            merge_safe_rows_per_s_per_shard: model.merge_safe.rows_per_s_per_shard,
            months: shard_months,
            batch: super::clickhouse::batch(src),
        },
        cost,
        cross_zone,
        cost_levers,
    }
}

/// The storage levers that save and the cross-zone ones, most first.
fn cost_levers(src: &Source<'_>, storage: &StorageView) -> Vec<Saver> {
    let mut all = storage.savers.clone();
    all.extend(
        cross_zone::savers(src)
            .into_iter()
            .map(|(lever, saving, gives_up)| Saver {
                saving,
                lever,
                on: "cross-zone traffic",
                saving_usd_per_month: words::about(saving),
                gives_up,
            }),
    );
    // Twice the insert batch: fewer ClickHouse nodes, a longer wait per row.
    let larger = &src.model.shard_growth.larger_batch;
    if larger.usd_per_month_saved > 0.0 {
        all.push(Saver {
            saving: larger.usd_per_month_saved,
            lever: format!(
                "Insert batches twice as large ({} rows)",
                words::about(larger.rows_per_part)
            ),
            on: "ClickHouse",
            saving_usd_per_month: words::about(larger.usd_per_month_saved),
            gives_up: format!(
                "each row waits about {} longer for its part",
                words::wait(larger.flush_ms_added)
            ),
        });
    }
    let reserved = &src.model.reserved_pricing;
    if reserved.usd_per_month_saved > 0.0 {
        all.push(Saver {
            saving: reserved.usd_per_month_saved,
            lever: format!(
                "One-year reserved instances ({} off)",
                words::percent(reserved.discount)
            ),
            on: "instances",
            saving_usd_per_month: words::about(reserved.usd_per_month_saved),
            gives_up: "a year's commitment to the instance types, bought for the plan's last month"
                .to_owned(),
        });
    }
    all.sort_by(|a, b| b.saving.total_cmp(&a.saving));
    all
}

/// `_flink.md`'s TaskManagers.
fn fleet(src: &Source<'_>) -> Fleet {
    let model = src.model;
    let a = &src.inputs.assumptions.flink;
    let arch = &src.inputs.architecture.flink;
    let shape = Shape::from_assumptions(a);
    let t = &model.fleet_today;
    let today = FleetToday {
        task_managers: arch.task_managers,
        vcpu: arch.task_manager_vcpu,
        memory_gib: arch.task_manager_memory_gib,
        vcpu_total: f64::from(arch.task_managers) * arch.task_manager_vcpu,
        slots_total: arch.task_managers * arch.slots_per_task_manager,
        slots_used: t.slots,
        busy_vcpu: t.busy_vcpu,
        cpu_utilization: t.cpu_utilization,
        by_slots: t.by_slots,
        by_cpu: t.by_cpu,
        by_memory: t.by_memory,
        by_rules: t.by_rules(),
        over_rules: t.by_rules() < arch.task_managers,
    };
    let dash = || "—".to_owned();
    let months = by_month(&src.months, |label, low, base, high| {
        let f = base.flink.fleet.as_ref();
        let shown = |x: Option<String>| x.unwrap_or_else(dash);
        FleetRow {
            label,
            slots: words::count(base.flink.slots),
            busy_vcpu: shown(f.map(|f| words::figure_or_dash(f.busy_vcpu, 1))),
            memory_gib: shown(
                f.map(|f| words::figure_or_dash(f.network_gib + f.state_memory_gib, 2)),
            ),
            by_slots: words::count(f.map(|f| f.by_slots)),
            by_cpu: words::count(f.map(|f| f.by_cpu)),
            by_memory: words::count(f.map(|f| f.by_memory)),
            task_managers_low: words::count(low.flink.task_managers),
            task_managers: words::count(base.flink.task_managers),
            task_managers_high: words::count(high.flink.task_managers),
            set_by: shown(f.map(|f| f.binding.name().to_owned())),
            cpu_utilization: shown(f.map(|f| words::percent(f.cpu_utilization))),
        }
    });
    let last_month = *src.months.months.last().expect("a plan month");
    let last = src
        .months
        .plan(last_month, Scenario::Base)
        .flink
        .fleet
        .as_ref()
        .map(|f| FleetLast {
            label: src.months.label(last_month).to_owned(),
            task_managers: f.task_managers,
            set_by: f.binding.name(),
            slots: f.slots,
            busy_vcpu: f.busy_vcpu,
            vcpu_total: f64::from(f.task_managers) * shape.vcpu,
            cpu_utilization: f.cpu_utilization,
            lever: (f.binding == Bound::Slots && f.without_slot_bound < f.task_managers).then(
                || {
                    let fewer = f.task_managers - f.without_slot_bound;
                    SlotLever {
                        slots_per_task_manager: f.slots_per_task_manager_then,
                        task_managers: f.without_slot_bound,
                        set_by: f.without_slot_binding.name(),
                        fewer,
                        saving_per_month: f64::from(fewer)
                            * src
                                .inputs
                                .assumptions
                                .cost
                                .flink_task_manager_per_month
                                .value,
                    }
                },
            ),
        });
    Fleet {
        shape,
        write_buffer_ratio: a.rocksdb_write_buffer_ratio.value,
        today,
        months,
        last,
    }
}

/// What sets each count in the last month the plan carries, base scenario.
fn binding_view(src: &Source<'_>) -> BindingView {
    let month = src.model.last_carried_month;
    let plan = src.months.plan(month, Scenario::Base);
    fn row<B: Copy>(
        component: &'static str,
        b: &Binding<B>,
        name: fn(B) -> &'static str,
        lever: fn(B) -> &'static str,
    ) -> BindingRow {
        BindingRow {
            component,
            count: b.count,
            set_by: name(b.bound),
            next: b.next.filter(|n| n.count < b.count).map(|n| NextBound {
                count: n.count,
                set_by: name(n.bound),
            }),
            lever: lever(b.bound),
        }
    }
    let mut rows = vec![row(
        "Kafka brokers",
        &plan.brokers.binding,
        BrokerBound::name,
        BrokerBound::lever,
    )];
    if let Some(f) = plan.flink.fleet.as_ref() {
        let b = Binding {
            bound: f.binding,
            count: f.task_managers,
            next: f.next,
        };
        rows.push(row("Flink TaskManagers", &b, Bound::name, Bound::lever));
    }
    rows.push(row(
        "ClickHouse shards",
        &plan.clickhouse.binding,
        ShardBound::name,
        ShardBound::lever,
    ));
    BindingView {
        label: src.months.label(month).to_owned(),
        rows,
    }
}

/// What each storage lever is, in words, and what it gives up.
fn lever_words(
    l: &LeverCost,
    planned_disk_gb: f64,
    maturity: Maturity,
    version: &str,
) -> (String, String) {
    let n = |v: f64| group(v, 0);
    match l.lever {
        Lever::AsPlanned => (
            format!("As planned: {} GB disks", n(l.setting)),
            "—".to_owned(),
        ),
        Lever::ShorterRetention => (
            format!("Retention at most {} h", n(l.setting)),
            format!(
                "no replay further back than {} h; a backfill past it needs another source",
                n(l.setting)
            ),
        ),
        Lever::LargerDisks if l.setting > planned_disk_gb => (
            format!("{} GB disks per broker", n(l.setting)),
            "more data to copy when a broker is replaced, so a longer re-replication".to_owned(),
        ),
        // The "larger" disk the data names is not: it is weighed as it is.
        Lever::LargerDisks => (
            format!("{} GB disks per broker", n(l.setting)),
            "less disk headroom on each broker".to_owned(),
        ),
        Lever::CheaperDisks => (
            // A price as written in data/: "0.045", not "0.0450".
            format!("Disks at {} USD per GB-month", l.setting),
            "disk latency for a consumer that falls behind and reads from disk".to_owned(),
        ),
        Lever::TieredStorage => (
            format!("Tiered storage, {} h kept on the brokers", n(l.setting)),
            format!(
                "a feature {}; reads past the local window come from object storage",
                tiered_words(maturity, version)
            ),
        ),
    }
}

/// How ready tiered storage is in the version that runs.
fn tiered_words(maturity: Maturity, version: &str) -> String {
    match maturity {
        Maturity::Unavailable => format!("not in Kafka {version}: it came in 3.6"),
        Maturity::EarlyAccess => format!(
            "in early access in Kafka {version}, not for production (it needs 3.9 or later)"
        ),
        Maturity::Production => format!("production-ready in Kafka {version}"),
    }
}

fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_lowercase().chain(chars).collect())
}

/// A saving in whole USD; a minus sign when the lever costs more.
fn saving(v: f64) -> String {
    if v.round() < 0.0 {
        format!("−{}", group(-v, 0))
    } else {
        group(v, 0)
    }
}

fn storage_view(src: &Source<'_>) -> StorageView {
    let s = &src.model.storage_levers;
    // The version is data text: escaped here, once, for every use.
    let version = Text::new(&s.kafka_version);
    let words = |l: &LeverCost| {
        lever_words(
            l,
            s.planned.setting,
            s.tiered_maturity,
            version.as_markdown(),
        )
    };
    let rows = std::iter::once(&s.planned)
        .chain(&s.levers)
        .map(|l| {
            let (lever, gives_up) = words(l);
            StorageRow {
                lever,
                brokers: l.brokers,
                set_by: l.binding.name(),
                kafka_usd_per_month: group(l.kafka_usd_per_month, 0),
                saving_usd_per_month: saving(l.saving_usd_per_month),
                gives_up,
            }
        })
        .collect();
    // The levers that save, most first: the readout lists them, the spec
    // names the first.
    let mut saving_levers: Vec<&LeverCost> = s
        .levers
        .iter()
        .filter(|l| l.saving_usd_per_month.round() > 0.0)
        .collect();
    saving_levers.sort_by(|a, b| b.saving_usd_per_month.total_cmp(&a.saving_usd_per_month));
    let best = saving_levers.first().map(|l| BestLever {
        // Mid-sentence: "the largest saving is retention at most 24 h".
        lever: lower_first(&words(l).0),
        saving_usd_per_month: saving(l.saving_usd_per_month),
        brokers: l.brokers,
    });
    let savers = saving_levers
        .into_iter()
        .map(|l| {
            let (lever, gives_up) = words(l);
            Saver {
                saving: l.saving_usd_per_month,
                lever,
                on: "Kafka",
                saving_usd_per_month: words::about(l.saving_usd_per_month),
                gives_up,
            }
        })
        .collect();
    StorageView {
        label: src.months.label(s.month).to_owned(),
        rows,
        best,
        savers,
        tiered_maturity: tiered_words(s.tiered_maturity, version.as_markdown()),
        tiered_available: s.tiered_maturity != Maturity::Unavailable,
    }
}
