//! The `specgen` command line: a thin layer over the library.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    name = "specgen",
    version,
    about = "Builds the capacity spec from data/"
)]
struct Cli {
    /// The project root: where `data/`, `spec/` and `book.toml` are.
    #[arg(long, default_value = ".", global = true)]
    root: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Load data/, run the model, write the Markdown, the site, the PDFs and the workbook.
    Build,
    /// Write the sample inputs (metrics, key distribution, forecast) into data/ from a seed.
    Synth {
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Compare the spec at a git revision with the working tree: verdicts that
    /// flipped, inputs that changed, figures that moved, chapters whose text changed.
    ///
    /// Reads `spec/figures.tsv`, `data/` and `spec/src/` at the revision from git
    /// (no checkout) and from the working tree: run `specgen build` first.
    #[command(
        after_help = "Example: review a branch against main, as a pull-request comment, \
failing when a verdict flips:

  specgen build
  specgen diff --base origin/main --format md --site-url https://example.github.io/spec \\
      --fail-on verdict > spec-diff.md"
    )]
    Diff {
        /// The revision to compare with (a branch, tag or commit).
        #[arg(long, default_value = "HEAD")]
        base: String,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Smallest relative move of a figure to report, in percent.
        #[arg(long, default_value_t = 0.5)]
        threshold: f64,
        /// Report every figure that moved, below the threshold too, month by month.
        #[arg(long)]
        all: bool,
        /// The published site: chapters link to `<URL>/<chapter>.html`.
        #[arg(long, value_name = "URL")]
        site_url: Option<String>,
        /// Exit with status 1 when a verdict flipped (a CI gate).
        #[arg(long, value_enum)]
        fail_on: Option<FailOn>,
    },
    /// Write the plan the real Flink benchmark job replays (key distribution,
    /// window, service time, parallelism), derived from data/.
    FlinkPlan {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Write the plan of the ClickHouse (chDB) experiment: the raw table's
    /// batching and row size, the parts limit and the model's dedup window.
    ClickhousePlan {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Compare a real Flink benchmark run with the model: predicted and
    /// measured sustainable throughput per strategy, and the error.
    FlinkCheck {
        #[arg(
            long,
            value_name = "FILE",
            default_value = "data/bench/flink-results.json"
        )]
        results: PathBuf,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// Markdown, for a pull-request comment.
    Md,
    /// Text for a terminal, coloured when standard output is one.
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum FailOn {
    /// A verdict flipped.
    Verdict,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Diff {
            base,
            format,
            threshold,
            all,
            site_url,
            fail_on,
        } => {
            let options = specgen::diff::Options {
                base,
                threshold_pct: threshold,
                all,
                site_url,
            };
            return match specgen::diff::run(&cli.root, &options) {
                Ok(report) => {
                    use specgen::diff::format as f;
                    print!(
                        "{}",
                        match format {
                            Format::Md => f::markdown(&report),
                            Format::Text =>
                                f::text_report(&report, std::io::stdout().is_terminal()),
                            Format::Json => f::json(&report),
                        }
                    );
                    match fail_on {
                        Some(FailOn::Verdict) if report.verdict_flipped() => ExitCode::from(1),
                        _ => ExitCode::SUCCESS,
                    }
                }
                Err(e) => {
                    // Apart from a flipped verdict's 1, so a CI gate tells them apart.
                    eprintln!("error: {e}");
                    ExitCode::from(2)
                }
            };
        }
        Command::FlinkPlan { out } => specgen::engine::write_plan(&cli.root, &out).map(|plan| {
            println!(
                "wrote {} ({} customers, {} event types)",
                out.display(),
                plan.customers.len(),
                plan.event_types.len()
            )
        }),
        Command::ClickhousePlan { out } => specgen::engine::write_clickhouse_plan(&cli.root, &out)
            .map(|plan| println!("wrote {} (table {})", out.display(), plan.table)),
        Command::FlinkCheck { results, json } => {
            specgen::engine::check(&cli.root, &cli.root.join(results)).map(|check| {
                if json {
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&check).expect("plain numbers and names")
                    );
                } else {
                    print!("{}", specgen::engine::check_text(&check));
                }
            })
        }
        Command::Build => specgen::build::build(&cli.root).map(|report| print!("{report}")),
        Command::Synth { seed } => {
            specgen::synth::write(&cli.root.join("data"), seed).map(|files| {
                for f in files {
                    println!("wrote {}", f.display());
                }
            })
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
