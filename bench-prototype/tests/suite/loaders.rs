//! Bad inputs are rejected with the file, the line and the field.

use std::path::Path;

use bench_prototype::config::load_scenarios;
use bench_prototype::inputs::{
    load_event_types, load_hot_customers, load_keyed_operator, load_production_inputs,
    load_service_time, load_tail,
};

use crate::common::{data_dir, inputs};

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn message<T: std::fmt::Debug>(r: bench_prototype::error::Result<T>) -> String {
    match r {
        Ok(v) => panic!("accepted bad input: {v:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn the_real_inputs_load_and_give_the_pooled_service_time() {
    let i = inputs();
    // Loose on purpose: the production data may change, its shape may not.
    assert!(i.keyed_operator.parallelism <= i.keyed_operator.max_parallelism);
    assert!(!i.hot_customers.is_empty());
    assert!(!i.event_types.is_empty());
    // Recompute the pooled figure independently from the CSV.
    let text = std::fs::read_to_string(data_dir().join("metrics/flink_subtasks.csv")).unwrap();
    let (mut busy, mut recs) = (0.0, 0.0);
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f[1] == "window-aggregate" {
            busy += f[3].parse::<f64>().unwrap() / 1000.0;
            recs += f[6].parse::<f64>().unwrap();
        }
    }
    let expected = busy / recs * 1e6;
    assert!((i.service_time.service_time_us - expected).abs() < 1e-9 * expected);
    load_scenarios(&data_dir().join("bench/scenarios.toml")).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn csv_errors_name_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "hot.csv",
        "customer_id,name,share\n1,A,0.1\nx,B,0.2\n",
    );
    let m = message(load_hot_customers(&p));
    assert!(
        m.ends_with(":3: customer_id: expected an integer customer id, found \"x\""),
        "{m}"
    );

    let p = write(
        dir.path(),
        "hot2.csv",
        "customer_id,name,share\n1,A,0.1\n1,B,0.2\n",
    );
    assert!(message(load_hot_customers(&p)).contains(":3: customer_id: 1 is listed twice"));

    let p = write(dir.path(), "hot3.csv", "customer_id,name,share\n1,A,1.5\n");
    assert!(message(load_hot_customers(&p)).contains(":2: share: must be in [0, 1], got 1.5"));

    let p = write(dir.path(), "types.csv", "event_type,weight\nclick,1\n");
    assert!(
        message(load_event_types(&p)).contains(":1: header: expected columns event_type,share")
    );

    let p = write(
        dir.path(),
        "types2.csv",
        "event_type,share\nclick,0.5\nview,0.4\n",
    );
    assert!(message(load_event_types(&p)).contains("share: shares must add up to 1"));

    let header = "ts,operator,subtask,busy_ms_per_s,backpressured_ms_per_s,idle_ms_per_s,records_in_per_s,records_out_per_s\n";
    let p = write(
        dir.path(),
        "m.csv",
        &format!("{header}1,op,0,10,0,990,100,100\n2,op,0,1200,0,0,100,100\n"),
    );
    let m = message(load_service_time(&p, "op"));
    assert!(
        m.contains("m.csv:3: busy_ms_per_s: must be in [0, 1000], got 1200"),
        "{m}"
    );
    let p = write(
        dir.path(),
        "m2.csv",
        &format!("{header}1,other,0,10,0,990,100,100\n"),
    );
    assert!(message(load_service_time(&p, "op")).contains("operator: no samples"));
}

#[test]
fn toml_errors_name_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "tail.toml",
        "[tail]\ncustomers = 10\nfirst_customer_id = 5\nzipf_exponent = -1.0\nshare = 0.5\n",
    );
    let m = message(load_tail(&p));
    assert!(
        m.contains("tail.toml:4: tail.zipf_exponent: must be in [0, 10], got -1"),
        "{m}"
    );

    let p = write(
        dir.path(),
        "tail2.toml",
        "[tail]\ncustomers = 10\nfirst_customer_id = 5\nshare = 0.5\n",
    );
    assert!(message(load_tail(&p)).contains("zipf_exponent"));

    let p = write(
        dir.path(),
        "arch.toml",
        "[flink]\n[[flink.operators]]\nname = \"a\"\nparallelism = 300\nmax_parallelism = 128\nkeyed = true\n",
    );
    let m = message(load_keyed_operator(&p));
    assert!(m.contains("arch.toml:4: flink.operators.parallelism: must be in 1..=max_parallelism (128), got 300"), "{m}");

    // A scenario value out of range names its line in scenarios.toml.
    let real = std::fs::read_to_string(data_dir().join("bench/scenarios.toml")).unwrap();
    let bad = real.replacen("sub_keys = 8", "sub_keys = 0", 1);
    let line = bad.lines().position(|l| l == "sub_keys = 0").unwrap() + 1;
    let p = write(dir.path(), "scenarios.toml", &bad);
    let m = message(load_scenarios(&p));
    assert!(
        m.contains(&format!(
            "scenarios.toml:{line}: common.sub_keys: must be in 1..=4096, got 0"
        )),
        "{m}"
    );
    let bad = real.replacen("[common]", "[common]\nbogus = 1", 1);
    let p = write(dir.path(), "scenarios2.toml", &bad);
    assert!(message(load_scenarios(&p)).contains("bogus"));
}

#[test]
fn shares_must_cover_all_traffic() {
    let dir = tempfile::tempdir().unwrap();
    let src = data_dir();
    for f in [
        "architecture.toml",
        "keys/hot_customers.csv",
        "keys/event_types.csv",
        "metrics/flink_subtasks.csv",
    ] {
        let to = dir.path().join(f);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(src.join(f), &to).unwrap();
    }
    std::fs::write(
        dir.path().join("keys/tail.toml"),
        "[tail]\ncustomers = 3988\nfirst_customer_id = 200000\nzipf_exponent = 0.9\nshare = 0.5\n",
    )
    .unwrap();
    let m = message(load_production_inputs(dir.path()));
    assert!(
        m.contains("tail.toml: tail.share: hot customers' shares plus the tail's share must be 1"),
        "{m}"
    );
}
