//! `bench-prototype`: runs the benchmark scenarios and writes the report.
//!
//! ```text
//! bench-prototype [--quick] [--data DIR] [--scenarios FILE] [--out FILE] [--no-progress]
//! ```
//! Defaults: `--data data`, `--scenarios DIR/bench/scenarios.toml`,
//! `--out DIR/bench/results.json`.

use std::path::PathBuf;
use std::process::ExitCode;

use bench_prototype::bench::{BenchOptions, RunMode, run};

fn usage() -> &'static str {
    "usage: bench-prototype [--quick] [--data DIR] [--scenarios FILE] [--out FILE] [--no-progress]"
}

fn parse(args: &[String]) -> Result<BenchOptions, String> {
    let mut mode = RunMode::Full;
    let mut data_dir = PathBuf::from("data");
    let mut scenarios = None;
    let mut out = None;
    let mut progress = true;
    let mut it = args.iter().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .map(PathBuf::from)
                .ok_or_else(|| format!("{name} needs a value\n{}", usage()))
        };
        match a.as_str() {
            "--quick" => mode = RunMode::Quick,
            "--no-progress" => progress = false,
            "--data" => data_dir = value("--data")?,
            "--scenarios" => scenarios = Some(value("--scenarios")?),
            "--out" => out = Some(value("--out")?),
            "-h" | "--help" => return Err(usage().to_string()),
            other => return Err(format!("unknown argument {other:?}\n{}", usage())),
        }
    }
    Ok(BenchOptions {
        mode,
        scenarios: scenarios.unwrap_or_else(|| data_dir.join("bench/scenarios.toml")),
        out: out.unwrap_or_else(|| data_dir.join("bench/results.json")),
        data_dir,
        progress,
        command: args.join(" "),
    })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let mut options = match parse(&args) {
        Ok(o) => o,
        Err(msg) => {
            eprintln!("{msg}");
            return ExitCode::from(2);
        }
    };
    // Record the command by the binary's name, not its build path.
    options.command = std::iter::once("bench-prototype".to_string())
        .chain(args.iter().skip(1).cloned())
        .collect::<Vec<_>>()
        .join(" ");
    match run(&options) {
        Ok(report) => {
            println!("wrote {}", options.out.display());
            for t in &report.targets {
                println!(
                    "target {:<60} {:>14.0} measured {:>14.0} {}",
                    t.name,
                    t.target,
                    t.measured,
                    if t.met { "met" } else { "MISSED" }
                );
            }
            for (name, s) in &report.sweep {
                println!(
                    "sustainable throughput {name:<10} {:>12.0} events/s",
                    s.sustainable_throughput
                );
            }
            for f in &report.findings {
                println!("finding: {f}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
