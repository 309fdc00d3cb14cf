//! `minqing`: serve (the default), or administer from a shell.
use clap::{Parser, Subcommand};
use minqing_server::{Config, Server, admin, bench, bench_demands, ledger, startup, telemetry};

#[derive(Parser)]
#[command(
    name = "minqing",
    version,
    about = "民情家访 — Minqing: API and portal"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Start the API and the portal (the default).
    Serve,
    /// Administer accounts from a shell.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Measure the speeds the product promises (PostgreSQL, release build, scratch database).
    #[command(subcommand)]
    Bench(BenchCommand),
    /// The demand ledger.
    #[command(subcommand)]
    Ledger(LedgerCommand),
}

#[derive(Subcommand)]
enum LedgerCommand {
    /// Recompute every event's hash and check the chain; exit status 1 if any chain is broken.
    Verify {
        /// Only this tenant (its slug); every active tenant when omitted.
        #[arg(long)]
        tenant: Option<String>,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Import the Jiangxi list (23,959 units) and compare with COPY of the same rows.
    Import {
        #[arg(long, default_value_t = 3)]
        runs: usize,
    },
    /// p50/p99 of the first 500 units of a district's subtree over HTTP.
    Subtree {
        #[arg(long, default_value_t = 1000)]
        requests: usize,
    },
    /// Demands per second through the intake API against plain INSERTs of the same rows.
    Intake {
        #[arg(long, default_value_t = 12_000)]
        requests: usize,
        /// Concurrent clients, one run for each (comma-separated).
        #[arg(long, value_delimiter = ',', default_values_t = [8, 32])]
        clients: Vec<usize>,
    },
    /// p50/p99 of a district's overdue list over a year of generated demands.
    Overdue {
        #[arg(long, default_value_t = 1_000_000)]
        demands: usize,
        #[arg(long, default_value_t = 500)]
        requests: usize,
    },
    /// All of them, with their defaults.
    All,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a platform operator.
    CreateOperator {
        username: String,
        /// Generated (and to be changed at first login) when omitted.
        #[arg(long, env = "MINQING_OPERATOR_PASSWORD")]
        password: Option<String>,
    },
    /// Give an account a new generated password and end its sessions.
    ResetPassword {
        /// The tenant's slug (`platform` for operators).
        tenant: String,
        username: String,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = Config::from_env()?;
    // Benchmarks and verify print their findings; log lines would bury them.
    let level = if matches!(cli.command, Some(Command::Bench(_) | Command::Ledger(_))) {
        "warn"
    } else {
        "info"
    };
    let _telemetry = telemetry::init_with(config.json_logs, level, telemetry::Otlp::from_env())?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let server = Server::build(&config).await?;
            startup::announce(&server.seed);
            let addr = server.local_addr();
            tracing::info!(%addr, "Minqing listening");
            println!("Minqing is serving on http://{addr}/");
            server.serve(shutdown_signal()).await
        }
        Command::Admin(AdminCommand::CreateOperator { username, password }) => {
            admin::create_operator(&config, &username, password).await
        }
        Command::Admin(AdminCommand::ResetPassword { tenant, username }) => {
            admin::reset_password(&config, &tenant, &username).await
        }
        Command::Ledger(LedgerCommand::Verify { tenant }) => {
            if ledger::verify(&config, tenant.as_deref()).await? {
                Ok(())
            } else {
                std::process::exit(1)
            }
        }
        Command::Bench(BenchCommand::Import { runs }) => bench::import(&config, runs).await,
        Command::Bench(BenchCommand::Subtree { requests }) => {
            bench::subtree(&config, requests).await
        }
        Command::Bench(BenchCommand::Intake { requests, clients }) => {
            bench_demands::intake(&config, requests, &clients).await
        }
        Command::Bench(BenchCommand::Overdue { demands, requests }) => {
            bench_demands::overdue(&config, demands, requests).await
        }
        Command::Bench(BenchCommand::All) => {
            bench::import(&config, 3).await?;
            bench::subtree(&config, 1000).await?;
            bench_demands::intake(&config, 12_000, &[8, 32]).await?;
            bench_demands::overdue(&config, 1_000_000, 500).await
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
