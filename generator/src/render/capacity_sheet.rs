//! The model's tables as spreadsheet sheets: inputs as plain cells, every
//! derived column as a formula over the named assumptions and the input cells,
//! mirroring the Rust model formula for formula.

use super::workbook::{Cell, Named, Sheet, WorkbookModel, defined_name};
use crate::inputs::Inputs;
use crate::model::Model;
use crate::model::kafka::{BYTES_PER_GB, BYTES_PER_MB};
use crate::model::latency::Stage;
use crate::model::slo::SloKind;
use crate::model::task_managers::BYTES_PER_GIB;

/// Architecture figures the formulas read, published beside the assumptions.
const KEYED_TOPIC_EVENT_BYTES: &str = "architecture.keyed_topic.avg_event_bytes";
/// Figures measured from the production metrics, which no formula over the
/// workbook's cells can recompute: published as labelled input cells.
const PEAK_TO_MEAN: &str = "measured.peak_to_mean";

pub fn build(inputs: &Inputs, model: &Model) -> WorkbookModel {
    let mut named: Vec<Named> = inputs
        .assumptions
        .list()
        .into_iter()
        .map(|a| Named {
            name: a.name,
            value: a.assumption.value,
            unit: a.assumption.unit,
            source: a.assumption.source,
        })
        .collect();
    let topic = inputs.architecture.keyed_topic();
    named.push(Named {
        name: KEYED_TOPIC_EVENT_BYTES.to_owned(),
        value: topic.avg_event_bytes,
        unit: "bytes".to_owned(),
        source: format!(
            "data/architecture.toml: kafka.topics `{}` avg_event_bytes",
            topic.name
        ),
    });
    named.push(Named {
        name: PEAK_TO_MEAN.to_owned(),
        value: model.workload.topic(&topic.name).peak_to_mean,
        unit: "ratio".to_owned(),
        source: format!(
            "measured (input cell): p99 of 5-minute rates ÷ mean rate of `{}`, data/metrics/topics.csv",
            topic.name
        ),
    });

    let onboardings = &inputs.forecast.onboardings;
    let ob_last = onboardings.len() + 1;
    let onboarding_sheet = Sheet {
        name: "Onboardings".into(),
        headers: ["customer", "first_month", "events_per_s", "scenarios"]
            .map(String::from)
            .to_vec(),
        rows: onboardings
            .iter()
            .map(|o| {
                vec![
                    Cell::Text(o.customer.clone()),
                    Cell::Number(o.first_month as f64),
                    Cell::Number(o.events_per_s),
                    Cell::Text(o.scenarios.clone()),
                ]
            })
            .collect(),
    };

    let forecast_sheet = Sheet {
        name: "Forecast".into(),
        headers: [
            "month",
            "label",
            "scenario",
            "customers",
            "events_per_customer_per_s",
            "onboarded_events_per_s",
            "avg_events_per_s",
            "peak_events_per_s",
        ]
        .map(String::from)
        .to_vec(),
        rows: model
            .growth
            .flat()
            .map(|(_, _, g)| g)
            .map(|g| {
                let row = inputs.forecast.row(g.month, g.scenario);
                vec![
                    Cell::Number(g.month as f64),
                    Cell::Text(g.label.clone()),
                    Cell::Text(g.scenario.name().to_owned()),
                    Cell::Number(row.customers),
                    Cell::Number(row.events_per_customer_per_s),
                    Cell::Formula {
                        // Onboardings live by this month whose scenario list names this scenario.
                        formula: format!(
                            "=SUMPRODUCT((Onboardings!$B$2:$B${ob_last}<=A{{r}})*ISNUMBER(SEARCH(C{{r}},Onboardings!$D$2:$D${ob_last}))*Onboardings!$C$2:$C${ob_last})"
                        ),
                        value: g.onboarded_events_per_s,
                    },
                    Cell::Formula {
                        formula: "=D{r}*E{r}+F{r}".into(),
                        value: g.avg_events_per_s,
                    },
                    Cell::Formula {
                        formula: format!("=G{{r}}*{}", n(PEAK_TO_MEAN)),
                        value: g.peak_events_per_s,
                    },
                ]
            })
            .collect(),
    };

    let kafka = kafka_sheet(inputs, model, &mut named);
    let brokers = brokers_sheet(inputs, model, &mut named);
    let flink = flink_sheet(inputs, model, &mut named);
    let clickhouse = clickhouse_sheet(inputs, model, &flink, &mut named);
    let latency = latency_sheet(inputs, model, &flink, &mut named);
    let cross_zone = cross_zone_sheet(inputs, model, &brokers, &mut named);
    let cost = cost_sheet(inputs, model, [&brokers, &flink, &cross_zone], &mut named);
    let slo = slo_sheet(model);
    let quarters = quarters_sheet(
        inputs,
        model,
        [&brokers, &flink, &clickhouse],
        &cross_zone,
        &mut named,
    );
    let sheets = vec![
        forecast_sheet,
        onboarding_sheet,
        kafka,
        brokers,
        flink,
        clickhouse,
        latency,
        slo,
        cross_zone,
        cost,
        quarters,
    ];
    WorkbookModel { named, sheets }
}

fn n(dotted: &str) -> String {
    defined_name(dotted)
}

fn publish(named: &mut Vec<Named>, name: &str, value: f64, unit: &str, source: String) -> String {
    if !named.iter().any(|x| x.name == name) {
        named.push(Named {
            name: name.to_owned(),
            value,
            unit: unit.to_owned(),
            source,
        });
    }
    defined_name(name)
}

/// A count of today's architecture as a named input cell. The plan never goes
/// below today's brokers, TaskManagers or shards, so their formulas take it.
fn today_count(named: &mut Vec<Named>, name: &str, value: u32, what: &str) -> String {
    publish(
        named,
        name,
        f64::from(value),
        what,
        format!(
            "data/architecture.toml: {}",
            name.trim_start_matches("architecture.")
        ),
    )
}

fn formula(formula: impl Into<String>, value: f64) -> Cell {
    Cell::Formula {
        formula: formula.into(),
        value,
    }
}

/// What a cost cell says where the plan does not carry the month.
const NOT_CARRIED: &str = "not carried";

/// A quarter's cost, or [`NOT_CARRIED`] when one of its months has no price.
fn priced(sum: String, cost: Option<f64>) -> Cell {
    cost.map_or_else(|| Cell::Text(NOT_CARRIED.to_owned()), |c| formula(sum, c))
}

fn count(v: u32) -> f64 {
    f64::from(v)
}

fn headers(h: &[&str]) -> Vec<String> {
    h.iter().map(|s| (*s).to_owned()).collect()
}

/// Excel's column letters for a 0-based index.
fn col(i: usize) -> String {
    let mut i = i + 1;
    let mut s = String::new();
    while i > 0 {
        let r = (i - 1) % 26;
        s.insert(0, (b'A' + r as u8) as char);
        i = (i - 1) / 26;
    }
    s
}

// Every sizing sheet has one row per (month, scenario) in the Forecast sheet's
// order, so row r reads Forecast row r.

fn kafka_sheet(inputs: &Inputs, model: &Model, named: &mut Vec<Named>) -> Sheet {
    let topic = inputs.architecture.keyed_topic();
    let p = n("kafka.partition_produce_mb_per_s");
    let u = n("kafka.target_utilization");
    let bytes = n(KEYED_TOPIC_EVENT_BYTES);
    let source = &model.vertices[0];
    let today = publish(
        named,
        &format!("architecture.{}.partitions", topic.name),
        count(topic.partitions),
        "partitions",
        format!(
            "data/architecture.toml: kafka.topics `{}` partitions today (the plan never goes below)",
            topic.name
        ),
    );
    // The last row of the month-by-scenario rows.
    let last = model.plan.flat().count() + 1;
    let c = publish(
        named,
        "measured.source_capacity_per_s",
        source.capacity_per_s,
        "events/s",
        format!(
            "measured (input cell): `{}` records in ÷ busy time, data/metrics/flink_subtasks.csv; c in max(T/p, T/c)",
            source.name
        ),
    );
    Sheet {
        name: "Kafka".into(),
        headers: headers(&[
            "month",
            "scenario",
            "peak_events_per_s",
            "peak_mb_per_s",
            "partitions_for_produce",
            "partitions_for_consume",
            "partitions_lower_bound",
            "hottest_partition_share (input: murmur2 over the key distribution)",
            "partitions (input: fewest from the lower bound whose hottest partition fits)",
            "hottest_partition_events_per_s",
            "hottest_partition_mb_per_s",
            "partitions_fitting (0 where none fits)",
            "partitions_planned (the year's largest fitting count from the first month today's falls short; never fewer than today's)",
        ]),
        rows: model
            .plan
            .flat()
            .map(|(_, _, p)| p)
            .map(|m| {
                let f = &m.partitions;
                let peak = m
                    .topics
                    .iter()
                    .find(|t| t.topic == topic.name)
                    .expect("keyed topic");
                let mut row = vec![
                    Cell::Number(count(m.month)),
                    Cell::Text(m.scenario.name().to_owned()),
                    formula("=Forecast!H{r}", peak.peak_events_per_s),
                    formula(
                        format!("=C{{r}}*{bytes}/{BYTES_PER_MB}"),
                        peak.peak_mb_per_s,
                    ),
                    formula(
                        format!("=ROUNDUP(D{{r}}/({p}*{u}),0)"),
                        count(f.for_produce),
                    ),
                    formula(
                        format!("=ROUNDUP(C{{r}}/({c}*{u}),0)"),
                        count(f.for_consume),
                    ),
                    formula("=MAX(E{r},F{r},1)", count(f.lower_bound)),
                    Cell::Number(f.hottest_share),
                ];
                match f.partitions {
                    Ok(parts) => row.push(Cell::Number(count(parts))),
                    Err(_) => row.push(Cell::Text("infeasible".into())),
                }
                row.push(formula(
                    "=H{r}*C{r}",
                    f.hottest_share * peak.peak_events_per_s,
                ));
                row.push(formula("=H{r}*D{r}", f.hottest_share * peak.peak_mb_per_s));
                row.push(formula(
                    "=IF(ISNUMBER(I{r}),I{r},0)",
                    count(f.partitions.as_ref().copied().unwrap_or(0)),
                ));
                // Partitions are never taken away, and each increase moves
                // keys, so the year's largest count is created once, the
                // first month today's is short (see the Kafka chapter).
                let this_scenario = format!("($B$2:$B${last}=B{{r}})");
                let so_far = format!("($A$2:$A${last}<=A{{r}})");
                let fitting = format!("$L$2:$L${last}");
                row.push(formula(
                    format!(
                        "=IF(SUMPRODUCT(MAX({this_scenario}*{so_far}*{fitting}))>{today},\
                         MAX({today},SUMPRODUCT(MAX({this_scenario}*{fitting}))),{today})"
                    ),
                    count(m.partitions_planned),
                ));
                row
            })
            .collect(),
    }
}

/// A topic's columns in the brokers sheet: peak MB/s, average MB/s, partitions, and its index.
type TopicColumns = (String, String, String, usize);

fn brokers_sheet(inputs: &Inputs, model: &Model, named: &mut Vec<Named>) -> Sheet {
    let arch = &inputs.architecture;
    let keyed = arch.keyed_topic();
    let today = model.workload.topic(&keyed.name).mean_events_per_s;
    let mut h = vec!["month".to_owned(), "scenario".to_owned()];
    // Per topic: peak MB/s, average MB/s, partitions.
    for t in &arch.kafka.topics {
        h.push(format!("{}_peak_mb_per_s", t.name));
        h.push(format!("{}_avg_mb_per_s", t.name));
        h.push(format!("{}_partitions", t.name));
    }
    let k = h.len();
    for x in [
        "ingress_mb_per_s",
        "replicated_mb_per_s",
        "fanned_out_mb_per_s",
        "retained_gb",
        "partition_replicas",
        "brokers_for_storage_throughput",
        "brokers_for_network_in",
        "brokers_for_network_out",
        "brokers_for_disk",
        "brokers_for_partitions",
        "brokers_for_replication",
        "brokers",
    ] {
        h.push(x.to_owned());
    }
    let mut topic_cells = Vec::new();
    for t in &arch.kafka.topics {
        let prefix = format!("architecture.{}", t.name);
        let bytes = publish(
            named,
            &format!("{prefix}.avg_event_bytes"),
            t.avg_event_bytes,
            "bytes",
            format!(
                "data/architecture.toml: kafka.topics `{}` avg_event_bytes",
                t.name
            ),
        );
        let rf = publish(
            named,
            &format!("{prefix}.replication_factor"),
            count(t.replication_factor),
            "replicas",
            format!(
                "data/architecture.toml: kafka.topics `{}` replication_factor",
                t.name
            ),
        );
        let ret = publish(
            named,
            &format!("{prefix}.retention_hours"),
            t.retention_hours,
            "h",
            format!(
                "data/architecture.toml: kafka.topics `{}` retention_hours",
                t.name
            ),
        );
        let profile = model.workload.topic(&t.name);
        let (ratio, ptm) = if t.name == keyed.name {
            (None, None)
        } else {
            (
                Some(publish(
                    named,
                    &format!("measured.{}.events_per_keyed_event", t.name),
                    profile.mean_events_per_s / today,
                    "ratio",
                    format!(
                        "measured (input cell): mean events/s of `{}` ÷ mean of `{}`",
                        t.name, keyed.name
                    ),
                )),
                Some(publish(
                    named,
                    &format!("measured.{}.peak_to_mean", t.name),
                    profile.peak_to_mean,
                    "ratio",
                    format!(
                        "measured (input cell): p99 of 5-minute rates ÷ mean of `{}`",
                        t.name
                    ),
                )),
            )
        };
        let parts = if t.name == keyed.name {
            None
        } else {
            Some(publish(
                named,
                &format!("{prefix}.partitions"),
                count(t.partitions),
                "partitions",
                format!(
                    "data/architecture.toml: kafka.topics `{}` partitions (kept as today)",
                    t.name
                ),
            ))
        };
        topic_cells.push((t.name.clone(), bytes, rf, ret, ratio, ptm, parts));
    }
    let brokers_today = today_count(
        named,
        "architecture.kafka.brokers",
        arch.kafka.brokers,
        "brokers",
    );
    let cg = n("kafka.consumer_groups");
    let bu = n("kafka.broker_target_utilization");
    let disk = publish(
        named,
        "architecture.kafka.disk_per_broker_gb",
        arch.kafka.disk_per_broker_gb,
        "GB",
        "data/architecture.toml: kafka.disk_per_broker_gb".into(),
    );
    let rows = model
        .plan
        .flat()
        .map(|(_, _, p)| p)
        .map(|m| {
            let mut row = vec![
                Cell::Number(count(m.month)),
                Cell::Text(m.scenario.name().to_owned()),
            ];
            let mut peak_refs = Vec::new();
            for (i, (name, bytes, _, _, ratio, ptm, parts)) in topic_cells.iter().enumerate() {
                let t = m
                    .topics
                    .iter()
                    .find(|x| &x.topic == name)
                    .expect("every topic");
                let (pc, ac, nc) = (col(2 + 3 * i), col(3 + 3 * i), col(4 + 3 * i));
                peak_refs.push((pc.clone(), ac.clone(), nc.clone(), i));
                match (ratio, ptm) {
                    (Some(ratio), Some(ptm)) => {
                        row.push(formula(
                            format!("=Forecast!G{{r}}*{ratio}*{ptm}*{bytes}/{BYTES_PER_MB}"),
                            t.peak_mb_per_s,
                        ));
                        row.push(formula(
                            format!("=Forecast!G{{r}}*{ratio}*{bytes}/{BYTES_PER_MB}"),
                            t.avg_mb_per_s,
                        ));
                    }
                    _ => {
                        row.push(formula("=Kafka!D{r}", t.peak_mb_per_s));
                        row.push(formula(
                            format!("=Forecast!G{{r}}*{bytes}/{BYTES_PER_MB}"),
                            t.avg_mb_per_s,
                        ));
                    }
                }
                match parts {
                    Some(p) => row.push(formula(format!("={p}"), count(t.partitions))),
                    None => row.push(formula("=Kafka!M{r}", count(t.partitions))),
                }
            }
            let sum = |f: &dyn Fn(&TopicColumns) -> String| {
                peak_refs.iter().map(f).collect::<Vec<_>>().join("+")
            };
            let rf = |i: usize| topic_cells[i].2.clone();
            let ret = |i: usize| topic_cells[i].3.clone();
            let b = &m.brokers;
            let c = |j: usize| col(k + j);
            row.push(formula(
                format!("={}", sum(&|(p, _, _, _)| format!("{p}{{r}}"))),
                b.ingress_mb_per_s,
            ));
            row.push(formula(
                format!("={}", sum(&|(p, _, _, i)| format!("{p}{{r}}*{}", rf(*i)))),
                m.topics
                    .iter()
                    .map(|t| t.peak_mb_per_s * f64::from(t.replication_factor))
                    .sum(),
            ));
            row.push(formula(
                format!(
                    "={}",
                    sum(&|(p, _, _, i)| format!("{p}{{r}}*({cg}+{}-1)", rf(*i)))
                ),
                m.topics
                    .iter()
                    .map(|t| {
                        t.peak_mb_per_s
                            * (inputs.assumptions.kafka.consumer_groups.value
                                + f64::from(t.replication_factor)
                                - 1.0)
                    })
                    .sum(),
            ));
            row.push(formula(
                format!(
                    "={}",
                    sum(&|(_, a, _, i)| format!(
                        "{a}{{r}}*{BYTES_PER_MB}*{}*3600*{}/{BYTES_PER_GB}",
                        ret(*i),
                        rf(*i)
                    ))
                ),
                b.retained_gb,
            ));
            row.push(formula(
                format!("={}", sum(&|(_, _, np, i)| format!("{np}{{r}}*{}", rf(*i)))),
                count(b.partition_replicas),
            ));
            row.push(formula(
                format!(
                    "=ROUNDUP({}{{r}}/({}*{bu}),0)",
                    c(1),
                    n("kafka.broker_storage_mb_per_s")
                ),
                count(b.for_storage_throughput),
            ));
            row.push(formula(
                format!(
                    "=ROUNDUP({}{{r}}/({}*{bu}),0)",
                    c(1),
                    n("kafka.broker_network_in_mb_per_s")
                ),
                count(b.for_network_in),
            ));
            row.push(formula(
                format!(
                    "=ROUNDUP({}{{r}}/({}*{bu}),0)",
                    c(2),
                    n("kafka.broker_network_out_mb_per_s")
                ),
                count(b.for_network_out),
            ));
            row.push(formula(
                format!(
                    "=ROUNDUP({}{{r}}/({disk}*{}),0)",
                    c(3),
                    n("kafka.disk_target_utilization")
                ),
                count(b.for_disk),
            ));
            row.push(formula(
                format!(
                    "=ROUNDUP({}{{r}}/{},0)",
                    c(4),
                    n("kafka.max_partitions_per_broker")
                ),
                count(b.for_partitions),
            ));
            row.push(formula(
                format!(
                    "=MAX({})",
                    (0..topic_cells.len()).map(rf).collect::<Vec<_>>().join(",")
                ),
                count(b.for_replication),
            ));
            row.push(formula(
                format!("=MAX({}{{r}}:{}{{r}},{brokers_today})", c(5), c(10)),
                count(b.brokers),
            ));
            row
        })
        .collect();
    Sheet {
        name: "Kafka brokers".into(),
        headers: h,
        rows,
    }
}

fn flink_sheet(inputs: &Inputs, model: &Model, named: &mut Vec<Named>) -> Sheet {
    let u = n("flink.target_utilization");
    let mut h = headers(&["month", "scenario", "peak_events_per_s"]);
    let mut cells = Vec::new();
    for (i, v) in model.vertices.iter().enumerate() {
        let rpe = publish(
            named,
            &format!("measured.{}.records_per_event", v.name),
            v.records_per_event,
            "ratio",
            format!(
                "measured (input cell): mean records in of `{}` ÷ mean events/s of the keyed topic",
                v.name
            ),
        );
        let cap = publish(
            named,
            &format!("measured.{}.capacity_per_s", v.name),
            v.capacity_per_s,
            "records/s",
            format!(
                "measured (input cell): `{}` total records in ÷ total busy time (one subtask at 100% busy)",
                v.name
            ),
        );
        h.push(format!("{}_records_in_per_s", v.name));
        if v.keyed {
            h.push(format!("{}_parallelism_lower_bound", v.name));
            h.push(format!(
                "{}_hottest_share (input: Flink key groups over the key distribution)",
                v.name
            ));
            h.push(format!(
                "{}_parallelism (input: fewest whose hottest subtask fits)",
                v.name
            ));
            h.push(format!("{}_hottest_utilization", v.name));
        } else if v.is_source(i) {
            h.push(format!("{}_parallelism_lower_bound", v.name));
            h.push(format!(
                "{}_busiest_reader_share (input: the Kafka source's split assignment over the partitions)",
                v.name
            ));
            h.push(format!(
                "{}_parallelism (input: fewest whose busiest reader fits)",
                v.name
            ));
            h.push(format!("{}_busiest_reader_utilization", v.name));
        } else {
            h.push(format!("{}_parallelism", v.name));
        }
        cells.push((i, v, rpe, cap));
    }
    let first_tail = h.len();
    for x in [
        "slots",
        "busy_vcpu (records in ÷ capacity, summed over vertices)",
        "network_gib (input: buffers every input gate and result partition requires)",
        "window_entries (input: keys × windows open)",
        "state_bytes",
        "state_memory_gib (block cache for the state beside write buffers)",
        "task_managers_for_slots",
        "task_managers_for_cpu",
        "task_managers_for_memory",
        "task_managers",
        "checkpoint_upload_s",
        "barrier_alignment_s",
        "checkpoint_duration_s",
    ] {
        h.push(x.to_owned());
    }
    let tms_today = today_count(
        named,
        "architecture.flink.task_managers",
        inputs.architecture.flink.task_managers,
        "TaskManagers",
    );
    let bytes = n(KEYED_TOPIC_EVENT_BYTES);
    let rows = model
        .plan
        .flat()
        .map(|(_, _, p)| p)
        .map(|m| {
            let mut row = vec![
                Cell::Number(count(m.month)),
                Cell::Text(m.scenario.name().to_owned()),
                formula(
                    "=Forecast!H{r}",
                    model
                        .growth
                        .flat()
                        .map(|(_, _, g)| g)
                        .find(|g| (g.month, g.scenario) == (m.month, m.scenario))
                        .expect("growth")
                        .peak_events_per_s,
                ),
            ];
            let mut par_cols = Vec::new();
            let mut busy_terms = Vec::new();
            let mut keyed_cols = None;
            for ((i, v, rpe, cap), s) in cells.iter().zip(&m.flink.vertices) {
                let load_col = col(row.len());
                row.push(formula(format!("=C{{r}}*{rpe}"), s.records_in_per_s));
                busy_terms.push(format!("{load_col}{{r}}/{cap}"));
                // The keyed vertex and the source have an uneven hottest
                // subtask: its share is an input from the real partitioners.
                if v.keyed || v.is_source(*i) {
                    row.push(formula(
                        format!("=MAX(ROUNDUP({load_col}{{r}}/({u}*{cap}),0),1)"),
                        count(s.lower_bound),
                    ));
                    let share = col(row.len());
                    row.push(Cell::Number(s.hottest_share));
                    let par = col(row.len());
                    match s.parallelism {
                        Ok(p) => row.push(Cell::Number(count(p))),
                        Err(_) => row.push(Cell::Text("infeasible".into())),
                    }
                    row.push(formula(
                        format!("={share}{{r}}*{load_col}{{r}}/{cap}"),
                        s.hottest_utilization,
                    ));
                    if v.keyed {
                        keyed_cols = Some(cap.clone());
                    }
                    par_cols.push(par);
                } else {
                    let par = col(row.len());
                    row.push(formula(
                        format!("=MAX(ROUNDUP({load_col}{{r}}/({u}*{cap}),0),1)"),
                        count(*s.parallelism.as_ref().expect("unkeyed vertices always fit")),
                    ));
                    par_cols.push(par);
                }
            }
            let f = &m.flink;
            let t = |j: usize| col(first_tail + j);
            match (f.slots, &f.fleet) {
                (Some(slots), Some(fleet)) => {
                    row.push(formula(
                        format!(
                            "=MAX({})",
                            par_cols
                                .iter()
                                .map(|c| format!("{c}{{r}}"))
                                .collect::<Vec<_>>()
                                .join(",")
                        ),
                        count(slots),
                    ));
                    row.push(formula(
                        format!("={}", busy_terms.join("+")),
                        fleet.busy_vcpu,
                    ));
                    row.push(Cell::Number(fleet.network_gib));
                    row.push(Cell::Number(f.window_entries));
                    row.push(formula(
                        format!("={}{{r}}*{}", t(3), n("flink.state_bytes_per_window_entry")),
                        f.state_bytes,
                    ));
                    row.push(formula(
                        format!(
                            "={}{{r}}/{BYTES_PER_GIB}/(1-{})",
                            t(4),
                            n("flink.rocksdb_write_buffer_ratio")
                        ),
                        fleet.state_memory_gib,
                    ));
                    row.push(formula(
                        format!(
                            "=ROUNDUP({}{{r}}/{},0)",
                            t(0),
                            n("flink.task_manager_slots")
                        ),
                        count(fleet.by_slots),
                    ));
                    row.push(formula(
                        format!(
                            "=ROUNDUP({}{{r}}/({u}*({}-{})),0)",
                            t(1),
                            n("flink.task_manager_vcpu"),
                            n("flink.framework_vcpu_per_task_manager")
                        ),
                        count(fleet.by_cpu),
                    ));
                    row.push(formula(
                        format!(
                            "=ROUNDUP(({}{{r}}+{}{{r}})/({}-{}-{}*{}),0)",
                            t(2),
                            t(5),
                            n("flink.task_manager_memory_gib"),
                            n("flink.task_manager_overhead_gib"),
                            n("flink.task_manager_slots"),
                            n("flink.task_heap_gib_per_slot")
                        ),
                        count(fleet.by_memory),
                    ));
                    row.push(formula(
                        format!("=MAX({}{{r}}:{}{{r}},{tms_today})", t(6), t(8)),
                        count(fleet.task_managers),
                    ));
                    row.push(formula(
                        format!(
                            "={}{{r}}/({}*1000000*{}{{r}})",
                            t(4),
                            n("flink.checkpoint_upload_mb_per_s_per_task_manager"),
                            t(9)
                        ),
                        f.checkpoint_upload_s,
                    ));
                    let kcap = keyed_cols.clone().expect("a keyed vertex");
                    let k = cells
                        .iter()
                        .position(|(_, v, _, _)| v.keyed)
                        .expect("keyed");
                    let upstream = if k == 0 {
                        "1".to_owned()
                    } else {
                        format!("{}{{r}}", par_cols[k - 1])
                    };
                    row.push(formula(
                        format!(
                            "=({}*{upstream}+{})*{}*1024/{bytes}/{kcap}",
                            n("flink.exclusive_buffers_per_channel"),
                            n("flink.floating_buffers_per_gate"),
                            n("flink.network_buffer_kib")
                        ),
                        f.barrier_alignment_s,
                    ));
                    row.push(formula(
                        format!("={}{{r}}+{}{{r}}", t(10), t(11)),
                        f.checkpoint_duration_s,
                    ));
                }
                _ => {
                    for _ in 0..13 {
                        row.push(Cell::Text("infeasible".into()));
                    }
                }
            }
            row
        })
        .collect();
    Sheet {
        name: "Flink".into(),
        headers: h,
        rows,
    }
}

fn clickhouse_sheet(
    inputs: &Inputs,
    model: &Model,
    flink: &Sheet,
    named: &mut Vec<Named>,
) -> Sheet {
    let ch = &inputs.architecture.clickhouse;
    let shards_today = today_count(named, "architecture.clickhouse.shards", ch.shards, "shards");
    let rpe = publish(named, "measured.clickhouse.rows_per_event", model.clickhouse_rows_per_event, "ratio", "measured (input cell): mean rows/s inserted over all shards ÷ mean events/s of the keyed topic".into());
    let safe = publish(named, "measured.clickhouse.merge_safe_rows_per_s_per_shard", model.merge_safe.rows_per_s_per_shard, "rows/s", "measured (input cell): highest rows/s per shard whose p99 max_parts_in_partition stays under clickhouse.merge_safe_max_parts, data/metrics/clickhouse_shards.csv".into());
    let disk = publish(
        named,
        "architecture.clickhouse.disk_per_replica_gb",
        ch.disk_per_replica_gb,
        "GB",
        "data/architecture.toml: clickhouse.disk_per_replica_gb".into(),
    );
    let replicas = publish(
        named,
        "architecture.clickhouse.replicas",
        count(ch.replicas),
        "replicas",
        "data/architecture.toml: clickhouse.replicas".into(),
    );
    // A TaskManager failure's backlog, read off the Flink sheet's state,
    // TaskManagers and checkpoint duration (the model's `fault::task_manager_backlog_s`).
    let interval_s = model.fault.exactly_once.checkpoint_interval_s;
    let interval = publish(
        named,
        "plan.checkpoint_interval_s",
        interval_s,
        "s",
        "model (input cell): the checkpoint interval the plan chooses with the deduplication window (fault-tolerance chapter)".into(),
    );
    let target = n("fault.catch_up_target_s");
    let [state, tms, checkpoint] =
        ["state_bytes", "task_managers", "checkpoint_duration_s"].map(|c| col_of(flink, c));
    let backlog_formula = format!(
        "={}+{}+Flink!{state}{{r}}/1000000/({}*Flink!{tms}{{r}})+{interval}+Flink!{checkpoint}{{r}}",
        n("fault.flink_failure_detection_s"),
        n("fault.task_manager_replacement_s"),
        n("fault.state_restore_mb_per_s_per_task_manager"),
    );
    // The batch model pinned at production: B0 = R0 × today's flush, and
    // t_row = flush / (k + B0) (`clickhouse::BatchModel::anchored`).
    let k = n("clickhouse.part_cost_rows");
    let flush_s = format!("({}/1000)", n("clickhouse.async_insert_busy_timeout_ms"));
    let t_row = format!("({flush_s}/({k}+{safe}*{flush_s}))");
    let tables = publish(
        named,
        "architecture.clickhouse.tables",
        ch.tables.len() as f64,
        "tables",
        "data/architecture.toml: the [[clickhouse.tables]] listed".into(),
    );
    let batch_formula = format!(
        "=ROUNDUP(MAX({},(1/{}-{k}*{t_row})/{t_row},{tables}*D{{r}}/{}),0)",
        n("clickhouse.min_insert_batch_rows"),
        n("clickhouse.max_inserts_per_s_per_shard"),
        n("fault.keeper_inserts_per_s"),
    );
    let a = &inputs.assumptions.fault;
    let backlog = |m: &crate::model::MonthPlan| {
        if m.flink.task_managers.is_some() && m.flink.checkpoint_duration_s.is_finite() {
            formula(
                backlog_formula.clone(),
                crate::model::fault::task_manager_backlog_s(
                    &m.flink,
                    interval_s,
                    &inputs.architecture,
                    a,
                ),
            )
        } else {
            Cell::Text(String::new())
        }
    };
    Sheet {
        name: "ClickHouse".into(),
        headers: headers(&[
            "month",
            "scenario",
            "avg_rows_per_s",
            "peak_rows_per_s",
            "shards_for_merges",
            "retained_gb",
            "shards_for_disk",
            "shards",
            "replicas",
            "nodes",
            "peak_rows_per_s_per_shard",
            "flush_interval_ms (how long a shard's buffer takes to fill the batch at peak)",
            "rows_per_part (the batch: the largest of ClickHouse's guidance, the rows that keep a shard at its merge-safe rate within its inserts per second, and Keeper's floor)",
            "parts_per_s_per_shard",
            "task_manager_backlog_s (detection + replacement + restore + replay; blank where the job fits no TaskManagers)",
            "catch_up_ceiling (target / (backlog + target); 1 without a backlog)",
            "shards_for_catch_up",
            "merge_safe_rows_per_s (R(B) = B / (t_part + t_row × B), pinned at production's merge-safe rate at today's flush)",
        ]),
        rows: model
            .plan
            .flat()
            .map(|(_, _, p)| p)
            .map(|m| {
                let c = &m.clickhouse;
                vec![
                    Cell::Number(count(m.month)),
                    Cell::Text(m.scenario.name().to_owned()),
                    formula(format!("=Forecast!G{{r}}*{rpe}"), c.avg_rows_per_s),
                    formula(format!("=Forecast!H{{r}}*{rpe}"), c.peak_rows_per_s),
                    formula("=ROUNDUP(D{r}/R{r},0)", count(c.for_merges)),
                    formula(
                        format!(
                            "=C{{r}}*86400*{}*{}/{BYTES_PER_GB}",
                            n("clickhouse.retention_days"),
                            n("clickhouse.bytes_per_row_compressed")
                        ),
                        c.retained_gb,
                    ),
                    formula(
                        format!(
                            "=ROUNDUP(F{{r}}/({disk}*{}),0)",
                            n("clickhouse.disk_target_utilization")
                        ),
                        count(c.for_disk),
                    ),
                    formula(
                        format!("=MAX(E{{r}},G{{r}},Q{{r}},{shards_today})"),
                        count(c.shards),
                    ),
                    formula(format!("={replicas}"), count(c.replicas)),
                    formula("=H{r}*I{r}", count(c.nodes)),
                    formula("=D{r}/H{r}", c.peak_rows_per_s_per_shard),
                    formula("=1000*M{r}/K{r}", c.flush_interval_ms),
                    formula(batch_formula.clone(), c.rows_per_part),
                    formula("=K{r}/M{r}", c.parts_per_s_per_shard),
                    backlog(m),
                    formula(
                        format!("=IF(ISNUMBER(O{{r}}),{target}/(O{{r}}+{target}),1)"),
                        c.catch_up_ceiling,
                    ),
                    formula("=ROUNDUP(D{r}/(R{r}*P{r}),0)", count(c.for_catch_up)),
                    formula(
                        format!("=M{{r}}/({t_row}*({k}+M{{r}}))"),
                        c.merge_safe_rows_per_s,
                    ),
                ]
            })
            .collect(),
    }
}

/// The column letter of the header `name` in `sheet`.
fn col_of(sheet: &Sheet, name: &str) -> String {
    col(sheet
        .headers
        .iter()
        .position(|h| h == name || h.starts_with(&format!("{name} ")))
        .unwrap_or_else(|| panic!("sheet {} has no column {name}", sheet.name)))
}

fn latency_sheet(inputs: &Inputs, model: &Model, flink: &Sheet, named: &mut Vec<Named>) -> Sheet {
    let job = &inputs.architecture.flink;
    let window = publish(
        named,
        "architecture.flink.window_s",
        job.window_s,
        "s",
        "data/architecture.toml: flink.window_s".into(),
    );
    let ooo = publish(
        named,
        "architecture.flink.watermark_out_of_orderness_ms",
        job.watermark_out_of_orderness_ms,
        "ms",
        "data/architecture.toml: flink.watermark_out_of_orderness_ms".into(),
    );
    let source = &model.vertices[0];
    let keyed = model
        .vertices
        .iter()
        .find(|v| v.keyed)
        .expect("keyed vertex");
    let s_cap = n(&format!("measured.{}.capacity_per_s", source.name));
    let k_cap = n(&format!("measured.{}.capacity_per_s", keyed.name));
    // The first vertex queues at its busiest subtask: a reader of whole
    // partitions when it is the source, the hottest key groups when keyed.
    let s_util = col_of(
        flink,
        &if source.is_source(0) {
            format!("{}_busiest_reader_utilization", source.name)
        } else {
            format!("{}_hottest_utilization", source.name)
        },
    );
    let k_util = col_of(flink, &format!("{}_hottest_utilization", keyed.name));
    let buffer = n("latency.buffer_timeout_ms");
    let shards_today = today_count(
        named,
        "architecture.clickhouse.shards",
        inputs.architecture.clickhouse.shards,
        "shards",
    );
    // The keyed queue's arrivals come a network buffer at a time.
    let batch = format!(
        "({}*1024/{})",
        n("flink.network_buffer_kib"),
        n(KEYED_TOPIC_EVENT_BYTES)
    );
    let alignment = col_of(flink, "barrier_alignment_s");
    let sink_block = inputs.architecture.window_results_table().map_or_else(
        || "0".to_owned(),
        |t| {
            publish(
                named,
                &format!("architecture.clickhouse.{}.insert_interval_ms", t.name),
                t.insert_interval_ms,
                "ms",
                format!(
                    "data/architecture.toml: clickhouse.tables `{}` insert_interval_ms",
                    t.name
                ),
            )
        },
    );
    let stage_formula = |stage: Stage| -> String {
        match stage {
            Stage::Producer => format!("={}", n("latency.producer_linger_ms")),
            Stage::Broker => format!("={}", n("latency.produce_p99_ms")),
            Stage::SourceFetch => format!("={}", n("latency.source_fetch_p99_ms")),
            Stage::SourceQueueing => format!("=LN(100)/({s_cap}*(1-Flink!{s_util}{{r}}))*1000"),
            Stage::KeyByShuffle | Stage::MergeStage => format!("={buffer}"),
            Stage::KeyedQueueing => format!(
                "=1000/{k_cap}+({batch}+1)/2*(1000/{k_cap})/(1-Flink!{k_util}{{r}})*IF(100*Flink!{k_util}{{r}}>1,LN(100*Flink!{k_util}{{r}}),0)"
            ),
            Stage::BarrierAlignment => format!("=Flink!{alignment}{{r}}*1000"),
            Stage::SinkBlock => format!("={sink_block}"),
            Stage::WindowAndWatermark => format!("={window}*1000+{ooo}"),
            Stage::SinkFlush => format!("={buffer}+ClickHouse!L{{r}}"),
            Stage::ClickHouseVisibility => format!("={}", n("latency.insert_visibility_p99_ms")),
            // The slowest of the month's shards, scaled from today's.
            Stage::Query => format!(
                "={}*LN(1-0.99^(1/ClickHouse!H{{r}}))/LN(1-0.99^(1/{shards_today}))",
                n("latency.query_p99_ms")
            ),
        }
    };
    // The first month of the low scenario: the stages are the same in every row.
    let stages: Vec<Stage> = model
        .plan
        .first()
        .low
        .latency
        .stages
        .iter()
        .map(|s| s.stage)
        .collect();
    let mut h = headers(&["month", "scenario"]);
    h.extend(stages.iter().map(|s| {
        format!(
            "{}_p99_ms",
            serde_json::to_value(s)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        )
    }));
    let total = col(h.len());
    let target = col(h.len() + 1);
    h.extend(headers(&["end_to_end_p99_ms", "target_ms", "headroom_ms"]));
    let last_stage = col(1 + stages.len());
    Sheet {
        name: "Latency".into(),
        headers: h,
        rows: model
            .plan
            .flat()
            .map(|(_, _, p)| p)
            .map(|m| {
                let mut row = vec![
                    Cell::Number(count(m.month)),
                    Cell::Text(m.scenario.name().to_owned()),
                ];
                for s in &m.latency.stages {
                    row.push(formula(stage_formula(s.stage), s.p99_ms));
                }
                row.push(formula(
                    format!("=SUM(C{{r}}:{last_stage}{{r}})"),
                    m.latency.total_p99_ms,
                ));
                row.push(formula(
                    format!("={}", n("latency.end_to_end_p99_target_ms")),
                    m.latency.target_ms,
                ));
                row.push(formula(
                    format!("={target}{{r}}-{total}{{r}}"),
                    m.latency.headroom_ms,
                ));
                row
            })
            .collect(),
    }
}

fn slo_sheet(model: &Model) -> Sheet {
    let mut rows = Vec::new();
    for s in &model.slos {
        let key = match s.kind {
            SloKind::IngestLag => (
                "ingest_lag",
                "slo.ingest_lag_threshold_s",
                "slo.ingest_lag_target",
            ),
            SloKind::ProcessingLag => (
                "processing_lag",
                "slo.processing_lag_threshold_s",
                "slo.processing_lag_target",
            ),
            SloKind::QueryP99 => (
                "query_p99",
                "slo.query_p99_threshold_ms",
                "slo.query_target",
            ),
            SloKind::LossyOnFailure => (
                "lossy_on_failure",
                "slo.lossy_on_failure_max_rate",
                "slo.lossy_on_failure_target",
            ),
        };
        let window = n("slo.window_days");
        let mut row = vec![
            Cell::Text(key.0.to_owned()),
            formula(format!("={}", n(key.1)), s.threshold),
            Cell::Text(s.unit.to_owned()),
            formula(format!("={}", n(key.2)), s.target),
            formula(format!("={window}"), s.window_days),
            formula("=(1-D{r})*E{r}*24*60", s.error_budget_minutes),
        ];
        for (a, (rate, long)) in s.alerts.iter().zip([
            ("slo.page_fast_burn_rate", "slo.page_fast_long_window_h"),
            ("slo.page_slow_burn_rate", "slo.page_slow_long_window_h"),
            ("slo.ticket_burn_rate", "slo.ticket_long_window_h"),
        ]) {
            let (rate, long) = (n(rate), n(long));
            row.push(formula(
                format!("={long}/{}", n("slo.short_window_divisor")),
                a.short_window_h,
            ));
            row.push(formula(
                format!("={rate}*{long}/({window}*24)"),
                a.budget_spent,
            ));
        }
        rows.push(row);
    }
    Sheet {
        name: "SLOs".into(),
        headers: headers(&[
            "slo",
            "threshold",
            "unit",
            "target",
            "window_days",
            "error_budget_minutes",
            "page_fast_short_window_h",
            "page_fast_budget_spent",
            "page_slow_short_window_h",
            "page_slow_budget_spent",
            "ticket_short_window_h",
            "ticket_budget_spent",
        ]),
        rows,
    }
}

/// The Cross-zone sheet's name (the Cost and Quarters sheets read it).
const CROSS_ZONE: &str = "Cross-zone";

/// Cross-zone traffic per month and scenario, flow by flow (the model's
/// `cross_zone::month`), then today's at the measured means: the row doing
/// nothing pays. Flags are 1 when production runs the lever, 0 when not.
fn cross_zone_sheet(
    inputs: &Inputs,
    model: &Model,
    brokers: &Sheet,
    named: &mut Vec<Named>,
) -> Sheet {
    use crate::model::cross_zone::{CrossZone, Traffic};
    let arch = &inputs.architecture;
    let zones = publish(
        named,
        "architecture.deployment.availability_zones",
        count(arch.deployment.availability_zones),
        "zones",
        "data/architecture.toml: deployment.availability_zones".into(),
    );
    let flag = |named: &mut Vec<Named>, key: &str, on: bool| {
        publish(
            named,
            &format!("architecture.kafka.{key}"),
            if on { 1.0 } else { 0.0 },
            "1 = on",
            format!("data/architecture.toml: kafka.{key}"),
        )
    };
    let follower_fetching = flag(named, "follower_fetching", arch.kafka.follower_fetching);
    let zone_aware = flag(
        named,
        "zone_aware_producers",
        arch.kafka.zone_aware_producers,
    );
    let replicas = publish(
        named,
        "architecture.clickhouse.replicas",
        count(arch.clickhouse.replicas),
        "replicas",
        "data/architecture.toml: clickhouse.replicas".into(),
    );
    let groups = n("kafka.consumer_groups");
    let elsewhere = format!("(({zones}-1)/{zones})");
    let topics = &arch.kafka.topics;
    let keyed = arch.keyed_topic();
    // Columns: month, scenario, each topic's average MB/s, then the rest.
    let first = 2;
    let topic_col = |i: usize| col(first + i);
    let after = first + topics.len();
    let [
        produced,
        keyed_mb,
        rows_c,
        produce,
        _replication,
        _consume,
        _shuffle,
        _sink,
        ch,
        total,
        gb,
    ] = std::array::from_fn(|k| col(after + k));
    let rf = |t: &crate::inputs::architecture::Topic| {
        defined_name(&format!("architecture.{}.replication_factor", t.name))
    };
    let per_topic = |term: &dyn Fn(String, String) -> String| {
        topics
            .iter()
            .enumerate()
            .map(|(i, t)| term(format!("{}{{r}}", topic_col(i)), rf(t)))
            .collect::<Vec<_>>()
            .join("+")
    };
    let keyed_col = topic_col(
        topics
            .iter()
            .position(|t| t.name == keyed.name)
            .expect("the keyed topic is a topic"),
    );
    let seconds = format!("{}*3600", n("cost.hours_per_month"));
    let row_bytes = n("clickhouse.bytes_per_row_compressed");
    // `rows` is the ClickHouse rows/s cell: read off the ClickHouse sheet for
    // a month, an input cell for today.
    let derived = |t: &Traffic, z: &CrossZone, rows_cell: Cell| {
        let mb = |i: usize| z.flows[i].cross_zone_mb_per_s;
        vec![
            formula(
                format!(
                    "=SUM({}{{r}}:{}{{r}})",
                    topic_col(0),
                    topic_col(topics.len() - 1)
                ),
                t.topics.iter().map(|(mb, _)| mb).sum(),
            ),
            formula(format!("={keyed_col}{{r}}"), t.keyed_mb_per_s),
            rows_cell,
            formula(
                format!("={produced}{{r}}*IF({zone_aware}=1,0,{elsewhere})"),
                mb(0),
            ),
            formula(
                format!(
                    "={}",
                    per_topic(&|mb, rf| format!("{mb}*({rf}-MAX(1,{rf}/{zones}))"))
                ),
                mb(1),
            ),
            formula(
                format!(
                    "={}",
                    per_topic(&|mb, rf| format!(
                        "{mb}*{groups}*IF({follower_fetching}=1,MAX(0,({zones}-MIN({rf},{zones}))/{zones}),{elsewhere})"
                    ))
                ),
                mb(2),
            ),
            formula(format!("={keyed_mb}{{r}}*{elsewhere}"), mb(3)),
            formula(format!("={keyed_mb}{{r}}*{elsewhere}"), mb(4)),
            formula(
                format!(
                    "={rows_c}{{r}}*{row_bytes}/{BYTES_PER_MB}*({replicas}-MAX(1,{replicas}/{zones}))"
                ),
                mb(5),
            ),
            formula(
                format!("=SUM({produce}{{r}}:{ch}{{r}})"),
                z.cross_zone_mb_per_s,
            ),
            formula(
                format!("={total}{{r}}*{BYTES_PER_MB}*{seconds}/{BYTES_PER_GB}"),
                z.gb_per_month,
            ),
            formula(
                format!("={gb}{{r}}*2*{}", n("cost.cross_zone_gb_each_way")),
                z.usd_per_month,
            ),
        ]
    };
    let mut rows: Vec<Vec<Cell>> = model
        .plan
        .flat()
        .map(|(_, _, p)| p)
        .map(|m| {
            let traffic = Traffic::of(&m.topics, &keyed.name, m.clickhouse.avg_rows_per_s);
            let mut row = vec![
                Cell::Number(count(m.month)),
                Cell::Text(m.scenario.name().to_owned()),
            ];
            // Each topic's average, read off the brokers sheet's row.
            for (t, (mb, _)) in topics.iter().zip(&traffic.topics) {
                let c = col_of(brokers, &format!("{}_avg_mb_per_s", t.name));
                row.push(formula(format!("='{}'!{c}{{r}}", brokers.name), *mb));
            }
            let rows_cell = formula("=ClickHouse!C{r}", traffic.clickhouse_rows_per_s);
            row.extend(derived(&traffic, &m.cross_zone, rows_cell));
            row
        })
        .collect();
    // Today: the measured means as input cells, priced by the same formulas.
    let traffic = Traffic::today(&model.workload, arch);
    let mut today = vec![Cell::Number(0.0), Cell::Text("today".into())];
    today.extend(traffic.topics.iter().map(|(mb, _)| Cell::Number(*mb)));
    let rows_cell = Cell::Number(traffic.clickhouse_rows_per_s);
    today.extend(derived(&traffic, &model.cross_zone_today, rows_cell));
    rows.push(today);
    let mut h = vec![
        "month (0: today, at the measured means)".to_owned(),
        "scenario".to_owned(),
    ];
    h.extend(topics.iter().map(|t| format!("{}_avg_mb_per_s", t.name)));
    h.extend(
        [
            "produced_mb_per_s",
            "keyed_topic_mb_per_s",
            "clickhouse_rows_per_s",
            "produce_mb_per_s",
            "replication_mb_per_s",
            "consume_mb_per_s",
            "shuffle_mb_per_s",
            "sink_mb_per_s",
            "clickhouse_replication_mb_per_s",
            "cross_zone_mb_per_s",
            "gb_per_month",
            "usd_per_month",
        ]
        .map(String::from),
    );
    Sheet {
        name: CROSS_ZONE.into(),
        headers: h,
        rows,
    }
}

fn cost_sheet(
    inputs: &Inputs,
    model: &Model,
    [brokers, flink, cross_zone]: [&Sheet; 3],
    named: &mut Vec<Named>,
) -> Sheet {
    let traffic = col_of(cross_zone, "usd_per_month");
    let arch = &inputs.architecture;
    let gb = n("cost.storage_gb_per_month");
    let kafka_disk = publish(
        named,
        "architecture.kafka.disk_per_broker_gb",
        arch.kafka.disk_per_broker_gb,
        "GB",
        "data/architecture.toml: kafka.disk_per_broker_gb".into(),
    );
    let ch_disk = publish(
        named,
        "architecture.clickhouse.disk_per_replica_gb",
        arch.clickhouse.disk_per_replica_gb,
        "GB",
        "data/architecture.toml: clickhouse.disk_per_replica_gb".into(),
    );
    let b = col_of(brokers, "brokers");
    let tm = col_of(flink, "task_managers");
    Sheet {
        name: "Cost".into(),
        headers: headers(&[
            "month",
            "scenario",
            "kafka_usd_per_month",
            "flink_usd_per_month",
            "clickhouse_usd_per_month",
            "cross_zone_usd_per_month",
            "total_usd_per_month",
        ]),
        rows: model
            .plan
            .flat()
            .map(|(_, _, p)| p)
            .map(|m| {
                let flink_cell = if m.flink.task_managers.is_some() {
                    formula(
                        format!(
                            "='Flink'!{tm}{{r}}*{}",
                            n("cost.flink_task_manager_per_month")
                        ),
                        m.cost.flink,
                    )
                } else {
                    Cell::Text(NOT_CARRIED.to_owned())
                };
                // A month the plan does not carry has no price: a sum would
                // read as one and understate the quarter.
                let total = if m.carried {
                    formula("=C{r}+D{r}+E{r}+F{r}", m.cost.total)
                } else {
                    Cell::Text(NOT_CARRIED.to_owned())
                };
                vec![
                    Cell::Number(count(m.month)),
                    Cell::Text(m.scenario.name().to_owned()),
                    formula(
                        format!(
                            "='Kafka brokers'!{b}{{r}}*({}+{kafka_disk}*{gb})",
                            n("cost.kafka_broker_per_month")
                        ),
                        m.cost.kafka,
                    ),
                    flink_cell,
                    formula(
                        format!(
                            "=ClickHouse!J{{r}}*({}+{ch_disk}*{gb})",
                            n("cost.clickhouse_replica_per_month")
                        ),
                        m.cost.clickhouse,
                    ),
                    formula(format!("='{CROSS_ZONE}'!{traffic}{{r}}"), m.cost.cross_zone),
                    total,
                ]
            })
            .collect(),
    }
}

/// The plan by quarter: capacity is bought by the quarter, so each quarter
/// costs the most any of its months needs of each component (per scenario,
/// read off the Kafka brokers, Flink and ClickHouse sheets) at its monthly
/// price, for each of its months; beside it, what today's footprint costs
/// over the same months.
fn quarters_sheet(
    inputs: &Inputs,
    model: &Model,
    [brokers_sheet, flink_sheet, clickhouse_sheet]: [&Sheet; 3],
    cross_zone: &Sheet,
    named: &mut Vec<Named>,
) -> Sheet {
    let arch = &inputs.architecture;
    let gb = n("cost.storage_gb_per_month");
    let brokers = today_count(
        named,
        "architecture.kafka.brokers",
        arch.kafka.brokers,
        "brokers",
    );
    let task_managers = today_count(
        named,
        "architecture.flink.task_managers",
        arch.flink.task_managers,
        "TaskManagers",
    );
    let shards = today_count(
        named,
        "architecture.clickhouse.shards",
        arch.clickhouse.shards,
        "shards",
    );
    let replicas = today_count(
        named,
        "architecture.clickhouse.replicas",
        arch.clickhouse.replicas,
        "replicas",
    );
    let kafka_disk = defined_name("architecture.kafka.disk_per_broker_gb");
    let ch_disk = defined_name("architecture.clickhouse.disk_per_replica_gb");
    let broker_price = format!("({}+{kafka_disk}*{gb})", n("cost.kafka_broker_per_month"));
    let tm_price = n("cost.flink_task_manager_per_month");
    let node_price = format!(
        "({}+{ch_disk}*{gb})",
        n("cost.clickhouse_replica_per_month")
    );
    // Cross-zone traffic is billed by use: today's row of the Cross-zone
    // sheet for doing nothing, each month's own for the plan.
    let usd = col_of(cross_zone, "usd_per_month");
    let today_traffic = format!("'{CROSS_ZONE}'!${usd}${}", cross_zone.rows.len() + 1);
    let today_per_month = format!(
        "({brokers}*{broker_price}+{task_managers}*{tm_price}+{shards}*{replicas}*{node_price}+{today_traffic})"
    );
    let traffic = |scenario: &str| {
        format!(
            "SUMIFS('{CROSS_ZONE}'!{usd}:{usd},'{CROSS_ZONE}'!A:A,\">=\"&B{{r}},'{CROSS_ZONE}'!A:A,\"<=\"&C{{r}},'{CROSS_ZONE}'!B:B,\"{scenario}\")"
        )
    };
    // The most a column of a per-month sheet reaches over the quarter's
    // months in one scenario (those sheets start with month, scenario).
    let peak = |sheet: &Sheet, column: &str, scenario: &str| {
        let name = format!("'{}'", sheet.name);
        let c = col_of(sheet, column);
        format!(
            "_xlfn.MAXIFS({name}!{c}:{c},{name}!A:A,\">=\"&B{{r}},{name}!A:A,\"<=\"&C{{r}},{name}!B:B,\"{scenario}\")"
        )
    };
    let fleet = |scenario: &str| {
        [
            peak(brokers_sheet, "brokers", scenario),
            peak(flink_sheet, "task_managers", scenario),
            peak(clickhouse_sheet, "nodes", scenario),
        ]
    };
    let cost = |[b, tm, nodes]: [String; 3], scenario: &str| {
        format!(
            "=(C{{r}}-B{{r}}+1)*({b}*{broker_price}+{tm}*{tm_price}+{nodes}*{node_price})+{}",
            traffic(scenario)
        )
    };
    let [base_brokers, base_tms, base_nodes] = fleet("base");
    Sheet {
        name: "Quarters".into(),
        headers: headers(&[
            "quarter",
            "from_month",
            "to_month",
            "base_brokers",
            "base_task_managers",
            "base_clickhouse_nodes",
            "low_usd",
            "base_usd",
            "high_usd",
            "doing_nothing_usd",
        ]),
        rows: model
            .rollout
            .quarters
            .iter()
            .map(|q| {
                let tms = q.task_managers.map_or_else(
                    || Cell::Text(NOT_CARRIED.to_owned()),
                    |t| formula(format!("={base_tms}"), count(t)),
                );
                vec![
                    Cell::Text(q.label.clone()),
                    Cell::Number(count(q.from_month)),
                    Cell::Number(count(q.to_month)),
                    formula(format!("={base_brokers}"), count(q.brokers)),
                    tms,
                    formula(format!("={base_nodes}"), count(q.clickhouse_nodes)),
                    priced(cost(fleet("low"), "low"), q.cost_low),
                    priced(
                        cost(["D{r}".into(), "E{r}".into(), "F{r}".into()], "base"),
                        q.cost,
                    ),
                    priced(cost(fleet("high"), "high"), q.cost_high),
                    formula(
                        format!("=(C{{r}}-B{{r}}+1)*{today_per_month}"),
                        q.cost_doing_nothing,
                    ),
                ]
            })
            .collect(),
    }
}
