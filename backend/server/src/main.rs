//! `minqing`: serve (the default), or administer from a shell.
use clap::{Parser, Subcommand};
use minqing_server::{Config, Server, admin, startup, telemetry};

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
    let _telemetry = telemetry::init(config.json_logs)?;
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
