//! `cargo xtask`: regenerate the client, emit the server's spec, check that they agree.

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
    }
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
