//! The model's tables as spreadsheet sheets: inputs as plain cells, every
//! derived column as a formula over the named assumptions and the input cells,
//! mirroring the Rust model formula for formula.

use super::workbook::{Cell, Named, Sheet, WorkbookModel, defined_name};
use crate::inputs::Inputs;
use crate::model::Model;
use crate::model::kafka::BYTES_PER_MB;

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
    let n = |dotted: &str| defined_name(dotted);

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
            .iter()
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

    let p = n("kafka.partition_produce_mb_per_s");
    let c = n("kafka.consumer_events_per_s");
    let u = n("kafka.target_utilization");
    let bytes = n(KEYED_TOPIC_EVENT_BYTES);
    let kafka_sheet = Sheet {
        name: "Kafka".into(),
        headers: [
            "month",
            "scenario",
            "topic",
            "peak_events_per_s",
            "peak_mb_per_s",
            "partitions_for_produce",
            "partitions_for_consume",
            "partitions",
        ]
        .map(String::from)
        .to_vec(),
        // Rows follow the Forecast sheet's order, so row r reads Forecast row r.
        rows: model
            .kafka_partitions
            .iter()
            .map(|k| {
                vec![
                    Cell::Number(k.month as f64),
                    Cell::Text(k.scenario.name().to_owned()),
                    Cell::Text(k.topic.clone()),
                    Cell::Formula {
                        formula: "=Forecast!H{r}".into(),
                        value: k.peak_events_per_s,
                    },
                    Cell::Formula {
                        formula: format!("=D{{r}}*{bytes}/{BYTES_PER_MB}"),
                        value: k.peak_mb_per_s,
                    },
                    Cell::Formula {
                        formula: format!("=ROUNDUP(E{{r}}/({p}*{u}),0)"),
                        value: k.partitions_for_produce as f64,
                    },
                    Cell::Formula {
                        formula: format!("=ROUNDUP(D{{r}}/({c}*{u}),0)"),
                        value: k.partitions_for_consume as f64,
                    },
                    Cell::Formula {
                        formula: "=MAX(F{r},G{r},1)".into(),
                        value: k.partitions as f64,
                    },
                ]
            })
            .collect(),
    };

    WorkbookModel {
        named,
        sheets: vec![forecast_sheet, onboarding_sheet, kafka_sheet],
    }
}
