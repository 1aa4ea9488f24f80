//! `cargo xtask`: regenerate the client, emit the server's spec, check that they agree, and run
//! the benchmark.

use anyhow::Result;
use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(about = "Workspace tasks for contact-channels")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Regenerate client/src/generated.rs from openapi/contact-channels.json.
    Generate,
    /// Fail when the server's spec differs from the committed one, or the client is stale.
    Check,
    /// Print the spec the server emits, to compare with the committed one.
    Emit,
    /// Build the server and the benchmark in release mode and run the benchmark; arguments go to
    /// it (`cargo xtask bench -- --help` lists them).
    Bench {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

fn main() -> Result<ExitCode> {
    match Cli::parse().command {
        Command::Generate => {
            xtask::write_client()?;
            println!("wrote {}", xtask::CLIENT_PATH);
            Ok(ExitCode::SUCCESS)
        }
        Command::Emit => {
            print!("{}", xtask::emitted_spec_text());
            Ok(ExitCode::SUCCESS)
        }
        Command::Check => check(),
        Command::Bench { args } => bench(&args),
    }
}

/// Builds the server binary and runs the benchmark, both in release mode (the benchmark finds
/// the server next to itself in the target directory).
fn bench(args: &[String]) -> Result<ExitCode> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let run = |cargo_args: &[&str], extra: &[String]| -> Result<bool> {
        let status = std::process::Command::new(&cargo)
            .args(cargo_args)
            .args(extra)
            .status()?;
        Ok(status.success())
    };
    let built = run(
        &[
            "build",
            "--release",
            "-p",
            "contact-channels-server",
            "--bin",
            "contact-channels",
        ],
        &[],
    )?;
    if !built
        || !run(
            &["run", "--release", "-p", "contact-channels-bench", "--"],
            args,
        )?
    {
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

fn check() -> Result<ExitCode> {
    let mut ok = true;
    let drift = xtask::spec_drift()?;
    if drift.is_empty() {
        println!("ok: the server implements {} exactly", xtask::SPEC_PATH);
    } else {
        ok = false;
        eprintln!(
            "error: the server's spec differs from {}:",
            xtask::SPEC_PATH
        );
        for line in &drift {
            eprintln!("  - {line}");
        }
        eprintln!(
            "Change the server (api/) to match the spec, or, if the change is intended, edit the \
             spec by hand (`cargo xtask emit` prints what the server emits) and run \
             `cargo xtask generate`."
        );
    }
    match xtask::client_drift()? {
        None => println!("ok: {} is fresh", xtask::CLIENT_PATH),
        Some(diff) => {
            ok = false;
            eprintln!("error: {} is stale:\n{diff}", xtask::CLIENT_PATH);
            eprintln!("Run `cargo xtask generate` and commit the result.");
        }
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
