//! `openapi-compat`: classifies every difference between two OpenAPI
//! documents by what it does to existing consumers (see compat/README.md).

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use openapi_compat::cli::{self, Options};
use openapi_compat::Rule;

#[derive(Parser)]
#[command(
    version,
    about = "Classifies every difference between two OpenAPI 3.0 or 3.1 documents by what it does to existing consumers"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compare OLD with NEW; exit 1 when a change reaches --fail-on, 2 when a document cannot be
    /// read.
    Diff {
        /// The old document: a file (JSON or YAML), or git `REV:PATH` (e.g.
        /// `origin/main:openapi/spec.yaml`).
        old: String,
        /// The new document, likewise.
        new: String,
        #[command(flatten)]
        options: Options,
    },
    /// Print the rule table: id, severity, version bump, meaning.
    Rules,
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Diff { old, new, options } => cli::diff(&old, &new, &options),
        Command::Rules => {
            for rule in Rule::ALL {
                println!(
                    "{}\t{}\t{}\t{}",
                    rule.id(),
                    rule.severity().as_str(),
                    rule.bump().as_str(),
                    rule.description()
                );
            }
            ExitCode::SUCCESS
        }
    }
}
