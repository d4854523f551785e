//! The `dealgraph` binary: parses the command line, starts logging, runs one command, and turns
//! an error into a non-zero exit with its whole cause chain.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = dealgraph::config::Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match dealgraph::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
