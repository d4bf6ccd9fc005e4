//! The `invigil` command line.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::config::{Config, FlagOverrides};

#[derive(Debug, Parser)]
#[command(
    name = "invigil",
    version,
    about = "Invigil: self-hosted proctored online assessment"
)]
pub struct Cli {
    /// Configuration file (default: ./invigil.toml when present).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Data directory for the SQLite database and evidence files.
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (migrates the database first).
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Run the server with demo data loaded; prints the demo accounts.
    Demo(ServeArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on, e.g. 127.0.0.1:8080.
    #[arg(long, value_name = "ADDR")]
    pub addr: Option<std::net::SocketAddr>,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn load_config(cli: &Cli, addr: Option<std::net::SocketAddr>) -> anyhow::Result<Config> {
    let flags = FlagOverrides {
        addr,
        data_dir: cli.data_dir.clone(),
    };
    let loaded = Config::load(cli.config.as_deref(), &flags)?;
    crate::telemetry::init_logging(&loaded.config);
    for w in &loaded.warnings {
        tracing::warn!("{w}");
    }
    Ok(loaded.config)
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match &cli.command {
        Command::Serve(args) => {
            let config = load_config(&cli, args.addr)?;
            let state = crate::app::start_state(config).await?;
            crate::app::serve(state).await?;
        }
        Command::Demo(args) => {
            let config = load_config(&cli, args.addr)?;
            let state = crate::app::start_state(config).await?;
            crate::app::serve(state).await?;
        }
        Command::Migrate => {
            let config = load_config(&cli, None)?;
            let db = crate::app::open_db(&config).await?;
            println!("migrations applied ({})", db.backend().name());
            db.close().await.ok();
        }
    }
    Ok(ExitCode::SUCCESS)
}
