//! `cargo xtask`: regenerate the clients, emit the server's spec, check that they agree, classify
//! spec changes, record releases, and run the benchmark.

use anyhow::Result;
use clap::{Parser, Subcommand};
use std::process::ExitCode;
use xtask::release::{self, Releases, Verdict};
use xtask::spec::Spec;

#[derive(Parser)]
#[command(about = "Workspace tasks for contact-channels")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Regenerate client/src/generated.rs and client-typescript/src/schema.d.ts from
    /// openapi/contact-channels.json.
    Generate,
    /// Fail when the server's spec differs from the committed one, a generated client is stale, a
    /// released spec was edited, or info.version is too low for the changes since the newest
    /// release.
    Check,
    /// `openapi-compat diff OLD NEW`: classify every difference between two specs; exit 1 when
    /// one breaks existing consumers (or reaches --fail-on), 2 when a spec cannot be read.
    Breaking {
        /// The old spec: a file, or git `REV:PATH` (e.g. `origin/main:openapi/contact-channels.json`).
        old: String,
        /// The new spec, likewise; the working tree's committed spec by default.
        new: Option<String>,
        #[command(flatten)]
        options: openapi_compat::cli::Options,
    },
    /// Record the committed spec as the release of its info.version, in openapi/released/.
    Release,
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
            println!("wrote {} and {}", xtask::CLIENT_PATH, xtask::MOCK_PATH);
            xtask::typescript::write_schema()?;
            println!("wrote {}", xtask::typescript::SCHEMA_PATH);
            Ok(ExitCode::SUCCESS)
        }
        Command::Emit => {
            emit(&xtask::emitted_spec_text());
            Ok(ExitCode::SUCCESS)
        }
        Command::Check => check(),
        Command::Breaking { old, new, options } => {
            let new = new.unwrap_or_else(|| {
                let committed = xtask::workspace_root().join(xtask::SPEC_PATH);
                committed.display().to_string()
            });
            Ok(openapi_compat::cli::diff(&old, &new, &options))
        }
        Command::Release => release(),
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

/// Changes since the newest release accepted, each with a reason, as not calling for the bump
/// their rule says.
const ACCEPTED_PATH: &str = "openapi/accepted-changes.yaml";

/// The committed spec, as `release` and `check` read it.
fn committed_spec() -> Result<Spec> {
    Spec::load(&xtask::workspace_root().join(xtask::SPEC_PATH))
}

/// Prints to stdout; a closed pipe (`| head`) is not an error.
fn emit(text: &str) {
    use std::io::Write;
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

fn release() -> Result<ExitCode> {
    let spec = committed_spec()?;
    let releases = Releases::open(&xtask::workspace_root().join(release::RELEASED_DIR))?;
    // Judging the version against an edited release would release on a false basis.
    let mut problems = releases.verify()?;
    problems.extend(version_policy(&spec, &releases)?);
    if !problems.is_empty() {
        for problem in problems {
            eprintln!("error: {problem}");
        }
        return Ok(ExitCode::FAILURE);
    }
    let path = releases.record(&spec)?;
    println!("released {} as {}", spec.version()?, xtask::relative(&path));
    Ok(ExitCode::SUCCESS)
}

/// The version policy's complaint about the working spec, if any.
fn version_policy(working: &Spec, releases: &Releases) -> Result<Option<String>> {
    let Some((version, path)) = releases.newest() else {
        return Ok(None);
    };
    let released = Spec::load(path)?;
    let mut report = openapi_compat::compare(&released.doc, &working.doc);
    // The changes CI accepts with a reason (`--ignore` in .ci/run) count for neither.
    let accepted = xtask::workspace_root().join(ACCEPTED_PATH);
    if accepted.exists() {
        let accepted =
            openapi_compat::cli::Accepted::read(&accepted).map_err(anyhow::Error::msg)?;
        accepted.apply(&mut report.changes);
    }
    Ok(
        match release::judge(version, &working.version()?, &report) {
            Verdict::NeedsBump(message) => Some(format!("{}: {message}", xtask::SPEC_PATH)),
            Verdict::Unchanged | Verdict::Ok { .. } => None,
        },
    )
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
    for (path, drift) in [
        (xtask::CLIENT_PATH, xtask::client_drift()?),
        (xtask::MOCK_PATH, xtask::mock_drift()?),
    ] {
        match drift {
            None => println!("ok: {path} is fresh"),
            Some(diff) => {
                ok = false;
                eprintln!("error: {path} is stale:\n{diff}");
                eprintln!("Run `cargo xtask generate` and commit the result.");
            }
        }
    }
    // Generating needs Node.js; without it this check fails on its own and the others still run.
    match xtask::typescript::schema_drift() {
        Ok(None) => println!("ok: {} is fresh", xtask::typescript::SCHEMA_PATH),
        Ok(Some(diff)) => {
            ok = false;
            eprintln!(
                "error: {} is stale:\n{diff}",
                xtask::typescript::SCHEMA_PATH
            );
            eprintln!("Run `cargo xtask generate` and commit the result.");
        }
        Err(e) => {
            ok = false;
            eprintln!(
                "error: cannot check {}: {e:#}",
                xtask::typescript::SCHEMA_PATH
            );
        }
    }
    let releases = Releases::open(&xtask::workspace_root().join(release::RELEASED_DIR))?;
    let problems = releases.verify()?;
    if problems.is_empty() {
        println!(
            "ok: the released specs in {} are as released",
            release::RELEASED_DIR
        );
    } else {
        ok = false;
        for problem in problems {
            eprintln!("error: {problem}");
        }
    }
    let working = committed_spec()?;
    match version_policy(&working, &releases)? {
        None => println!(
            "ok: info.version {} fits the changes since the newest release",
            working.version()?
        ),
        Some(message) => {
            ok = false;
            eprintln!("error: {message}");
            eprintln!(
                "Raise info.version in the spec and `VERSION` in api/src/lib.rs, or undo the \
                 change (`cargo xtask breaking {}/<newest> {}` lists every change).",
                release::RELEASED_DIR,
                xtask::SPEC_PATH
            );
        }
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
