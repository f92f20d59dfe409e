//! `bench-prototype`: runs the benchmark scenarios and writes the report.
//!
//! A thin layer over [`bench_prototype::bench::run`]: the arguments are
//! parsed into [`Cli`], resolved into [`BenchOptions`], and the report's
//! headline figures are printed.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use bench_prototype::bench::{BenchOptions, RunMode, run, run_faults_only};
use bench_prototype::report::Report;
use clap::Parser;

/// Measures the Flink keyed window operator under hot-key load, per
/// partitioning strategy, and writes the JSON report.
///
/// The report records this command line; the spec generator renders the
/// committed report and never runs the bench.
#[derive(Parser, Debug)]
#[command(name = "bench-prototype", version)]
struct Cli {
    /// Run the quick sizes (the scenarios file's `quick.*` tables)
    ///
    /// Every scenario, on the same code paths as the full run, with small
    /// sizes: a check of the whole run in a fraction of the time, not a
    /// measurement.
    #[arg(long)]
    quick: bool,

    /// The data directory, where the production inputs are
    ///
    /// Read from it: `architecture.toml`, `keys/` and `metrics/`; the
    /// scenarios and the report default to its `bench/` folder.
    #[arg(long, value_name = "DIR", default_value = "data")]
    data: PathBuf,

    /// The bench's own choices [default: DIR/bench/scenarios.toml]
    #[arg(long, value_name = "FILE")]
    scenarios: Option<PathBuf>,

    /// Where to write the JSON report [default: DIR/bench/results.json]
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,

    /// Draw no progress bars (for logs and CI)
    #[arg(long)]
    no_progress: bool,

    /// Rerun only the fault experiments (one planned kill, the seeded kill
    /// points) and replace the `fault` section of the report at --out
    #[arg(long)]
    faults_only: bool,
}

impl Cli {
    /// Resolves the defaults that depend on `--data`; `command` is the
    /// command line as the report records it.
    fn into_options(self, command: String) -> BenchOptions {
        BenchOptions {
            mode: if self.quick {
                RunMode::Quick
            } else {
                RunMode::Full
            },
            scenarios: self
                .scenarios
                .unwrap_or_else(|| self.data.join("bench/scenarios.toml")),
            out: self
                .out
                .unwrap_or_else(|| self.data.join("bench/results.json")),
            data_dir: self.data,
            progress: !self.no_progress,
            command,
        }
    }
}

/// The command line by the binary's name, not its build path, so the
/// report does not depend on where the binary was built.
fn recorded_command(args: &[OsString]) -> String {
    std::iter::once("bench-prototype".to_string())
        .chain(
            args.iter()
                .skip(1)
                .map(|a| a.to_string_lossy().into_owned()),
        )
        .collect::<Vec<_>>()
        .join(" ")
}

fn print_summary(options: &BenchOptions, report: &Report) {
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
}

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    // Exits 0 for --help and --version, 2 with clap's message for bad arguments.
    let cli = Cli::parse_from(&args);
    let faults_only = cli.faults_only;
    let options = cli.into_options(recorded_command(&args));
    let result = if faults_only {
        run_faults_only(&options)
    } else {
        run(&options)
    };
    match result {
        Ok(report) => {
            print_summary(&options, &report);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn parse(args: &[&str]) -> Result<BenchOptions, clap::Error> {
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        Cli::try_parse_from(&args).map(|cli| cli.into_options(recorded_command(&args)))
    }

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn defaults_follow_the_data_directory() {
        let o = parse(&["target/release/bench-prototype"]).unwrap();
        assert_eq!(o.mode, RunMode::Full);
        assert!(o.progress);
        assert_eq!(o.data_dir, PathBuf::from("data"));
        assert_eq!(o.scenarios, PathBuf::from("data/bench/scenarios.toml"));
        assert_eq!(o.out, PathBuf::from("data/bench/results.json"));
        assert_eq!(o.command, "bench-prototype");

        let o = parse(&["x", "--data", "alt"]).unwrap();
        assert_eq!(o.scenarios, PathBuf::from("alt/bench/scenarios.toml"));
        assert_eq!(o.out, PathBuf::from("alt/bench/results.json"));
    }

    #[test]
    fn every_flag_is_read_and_the_command_is_recorded_by_name() {
        let o = parse(&[
            "/some/build/path/bench-prototype",
            "--quick",
            "--data",
            "d",
            "--scenarios",
            "s.toml",
            "--out",
            "/tmp/r.json",
            "--no-progress",
        ])
        .unwrap();
        assert_eq!(o.mode, RunMode::Quick);
        assert!(!o.progress);
        assert_eq!(o.data_dir, PathBuf::from("d"));
        assert_eq!(o.scenarios, PathBuf::from("s.toml"));
        assert_eq!(o.out, PathBuf::from("/tmp/r.json"));
        assert_eq!(
            o.command,
            "bench-prototype --quick --data d --scenarios s.toml --out /tmp/r.json --no-progress"
        );
    }

    #[test]
    fn help_and_version_succeed_and_unknown_flags_are_usage_errors() {
        for flag in ["--help", "--version"] {
            let e = parse(&["x", flag]).unwrap_err();
            assert_eq!(e.exit_code(), 0, "{flag}");
        }
        let e = parse(&["x", "--fast"]).unwrap_err();
        assert_eq!(e.kind(), clap::error::ErrorKind::UnknownArgument);
        assert_eq!(e.exit_code(), 2);
        let e = parse(&["x", "--out"]).unwrap_err();
        assert_eq!(e.exit_code(), 2);
    }
}
