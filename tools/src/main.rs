//! The `nsdf` command: parses the command line and hands each subcommand to its module in
//! `cmd/`. Adding a command is one variant here and one arm in `main`.

use clap::{Parser, Subcommand};
use nsdf_tools::cmd;
use std::process::ExitCode;

/// Compact neural signed distance functions: inspect, check, evaluate, benchmark, mesh, render and bake .nsdf files.
#[derive(Parser, Debug)]
#[command(name = "nsdf", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    Info(cmd::info::Args),
    Validate(cmd::validate::Args),
    Eval(cmd::eval::Args),
    Bench(cmd::bench::Args),
    Compare(cmd::compare::Args),
    Mesh(cmd::mesh::Args),
    Render(cmd::render::Args),
    Bake(cmd::bake::Args),
    View(cmd::view::Args),
    Pack(cmd::pack::Args),
    Import(cmd::import::Args),
    Shader(cmd::shader::Args),
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Info(args) => cmd::info::run(args),
        Command::Validate(args) => cmd::validate::run(args),
        Command::Eval(args) => cmd::eval::run(args),
        Command::Bench(args) => cmd::bench::run(args),
        Command::Compare(args) => cmd::compare::run(args),
        Command::Mesh(args) => cmd::mesh::run(args),
        Command::Render(args) => cmd::render::run(args),
        Command::Bake(args) => cmd::bake::run(args),
        Command::View(args) => cmd::view::run(args),
        Command::Pack(args) => cmd::pack::run(args),
        Command::Import(args) => cmd::import::run(args),
        Command::Shader(args) => cmd::shader::run(args),
    };
    cmd::finish(result)
}
