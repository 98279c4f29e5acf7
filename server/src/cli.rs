//! The command line: `serve` (default), `migrate`, `seed`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use app::store::Store;

use crate::config::Config;
use crate::error::RunError;

#[derive(Debug, Parser)]
#[command(
    name = "server",
    version,
    about = "Partner Portal — self-hosted Secure Partner Access"
)]
pub struct Cli {
    /// TOML configuration file (default: ./portal.toml when present).
    #[arg(long, global = true, env = "PORTAL_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (applies pending migrations first).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Fill the database with data.
    Seed {
        /// The small demo organisation used by `make run` and the end-to-end tests.
        #[arg(long)]
        demo: bool,
        /// Generate a realistic directory of N users (for benchmarks).
        #[arg(long, value_name = "N")]
        users: Option<u64>,
        /// With --demo: the dev identity provider's base URL; Acme and Globex
        /// get partner IdPs at its /acme and /globex issuers (JIT on).
        #[arg(long, value_name = "URL")]
        dev_idp: Option<String>,
    },
    /// System Log tools.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Management API tokens (for automation and first set-up; admins make
    /// theirs in the browser).
    ApiToken {
        #[command(subcommand)]
        command: TokenCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Make a token acting as the admin with this username; prints its
    /// secret (shown once, stored hashed).
    Create {
        /// The admin's username (login).
        #[arg(long)]
        admin: String,
        /// The token's name.
        #[arg(long)]
        name: String,
        /// Days until it expires (default: only when unused for 30 days).
        #[arg(long)]
        expires_in_days: Option<i64>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk the hash chain and report the first tampered event (exit 1 if any).
    Verify,
}

pub async fn run(command: Command, config: Config) -> Result<(), RunError> {
    match command {
        Command::Serve => {
            config.validate_for_serve().map_err(|e| RunError(e.0))?;
            let store = open_store(&config).await?;
            store.migrate().await?;
            let org = app::store::setup::bootstrap(&store, &config.public_url).await?;
            crate::boot::serve(config, store, org).await
        }
        Command::Migrate => {
            let store = open_store(&config).await?;
            store.migrate().await?;
            tracing::info!("migrations applied");
            store.close().await;
            Ok(())
        }
        Command::Audit { command } => audit(&config, command).await,
        Command::ApiToken { command } => api_token(&config, command).await,
        Command::Seed {
            demo,
            users,
            dev_idp,
        } => {
            if !demo && users.is_none() {
                return Err(RunError("seed needs --demo or --users N".into()));
            }
            let store = open_store(&config).await?;
            store.migrate().await?;
            if demo {
                app::store::seed::demo(&store, &config.public_url).await?;
                if let Some(base) = dev_idp.as_deref() {
                    config.validate_secrets_key().map_err(|e| RunError(e.0))?;
                    let secrets = app::store::idps::SecretBox::new(config.secrets_key.expose());
                    app::store::seed::demo_partner_idps(&store, &secrets, base).await?;
                }
                tracing::info!("demo organisation seeded");
            }
            if let Some(n) = users {
                let report = app::store::seed::users(&store, &config.public_url, n).await?;
                println!(
                    "seeded {} users in {} realms ({} groups, {} apps, {} memberships, {} direct assignments) in {:.1} s",
                    report.users,
                    report.realms,
                    report.groups,
                    report.apps,
                    report.memberships,
                    report.assignments,
                    report.seconds
                );
            }
            store.close().await;
            Ok(())
        }
    }
}

async fn audit(config: &Config, command: AuditCommand) -> Result<(), RunError> {
    match command {
        AuditCommand::Verify => {
            let store = open_store(config).await?;
            let report = store.verify_system_log().await?;
            store.close().await;
            match report {
                app::store::audit::ChainReport::Intact { events } => {
                    println!("System Log intact: {events} events, hash chain verified");
                    Ok(())
                }
                app::store::audit::ChainReport::Tampered { seq, uuid, reason } => Err(RunError(
                    format!("System Log tampered at event #{seq} ({uuid}): {reason}"),
                )),
            }
        }
    }
}

async fn api_token(config: &Config, command: TokenCommand) -> Result<(), RunError> {
    match command {
        TokenCommand::Create {
            admin,
            name,
            expires_in_days,
        } => {
            let store = open_store(config).await?;
            store.migrate().await?;
            let org = app::store::setup::bootstrap(&store, &config.public_url).await?;
            let user = store
                .system_user_by_login(&admin.to_lowercase())
                .await?
                .ok_or_else(|| RunError(format!("no user with username {admin}")))?;
            let client = app::authz::Client {
                user_agent: Some("server api-token create".into()),
                ..Default::default()
            };
            let settings = app::ctx::Settings {
                public_url: config.public_url.clone(),
                outbound: app::outbound::OutboundPolicy::default(),
                secrets: app::store::idps::SecretBox::new(config.secrets_key.expose()),
                credentials: app::credentials::Credentials::new(
                    &config.public_url,
                    &config.credentials(),
                )
                .map_err(|e| RunError(format!("credentials: {e}")))?,
            };
            let principal = app::ctx::principal_of_user(&store, &org, &user.id, client)
                .await
                .map_err(|e| RunError(format!("{admin}: {e}")))?;
            let cx = app::ctx::Ctx::new(store.clone(), org, settings, principal);
            let made = app::ops::api_tokens::create(&cx, &name, expires_in_days)
                .await
                .map_err(|e| RunError(format!("{admin}: {e}")))?;
            store.close().await;
            println!("{}", made.secret);
            Ok(())
        }
    }
}

async fn open_store(config: &Config) -> Result<Store, RunError> {
    app::store::audit::set_chain_key(&config.audit_chain_key());
    Store::connect(&config.database_url, &config.store_options())
        .await
        .map_err(|e| RunError(format!("database_url (PORTAL_DATABASE_URL): {e}")))
}
