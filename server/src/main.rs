//! The Partner Portal server binary: configuration, CLI, boot, and the axum router.

mod api;
mod auth;
mod boot;
mod cli;
mod config;
mod error;
mod export;
mod gate;
mod guard;
mod hosted;
mod http;
mod metrics;
mod notice;
mod oauth;
mod state;
mod telemetry;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::config::Config;

/// mimalloc: a page render allocates and frees thousands of small strings
/// and nodes across threads, where it beats glibc's allocator (`make bench`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(cli.config.clone()) {
        Ok(config) => config,
        Err(e) => return fail(&e.to_string()),
    };
    let telemetry = telemetry::init(config.log_format, &config.otlp_endpoint);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(&format!("cannot start the async runtime: {e}")),
    };
    let outcome = runtime.block_on(cli::run(cli.command.unwrap_or(Command::Serve), config));
    telemetry.shutdown();
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e.to_string()),
    }
}

/// One clear line on stderr and a non-zero exit: no backtrace for operator mistakes.
fn fail(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::FAILURE
}
