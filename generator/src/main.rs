//! The `specgen` command line: a thin layer over the library.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
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
