//! The `invigil` command line. Every command reads the same configuration
//! as `serve` (`--config`, `--data-dir`, `DATABASE_URL`, `INVIGIL_*`).
//! Exit codes: 0 success, 1 failure at run time, 2 bad usage or input.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use invigil_domain::identity::password::check_new_password;
use invigil_domain::identity::{Email, Role};
use invigil_domain::text::Text;
use invigil_store::identity::{AccountStatus, users};
use invigil_store::{Db, outbox, tenancy};

use crate::audit::{Audit, AuditAction};
use crate::config::{Config, FlagOverrides};
use crate::identity::crypto::Hasher;

pub mod load;

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
    /// Operator commands.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Print the OpenAPI document (JSON) and exit; needs no configuration.
    Openapi,
    /// Load-test running servers: simulated candidates over HTTP, an
    /// optional raw database baseline, then every acknowledged write is
    /// read back (`lost: N`; exit 1 when anything was lost). Uses the same
    /// configuration (database) as `serve`.
    Load(invigil_load::LoadArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on, e.g. 127.0.0.1:8080.
    #[arg(long, value_name = "ADDR")]
    pub addr: Option<std::net::SocketAddr>,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a platform SUPER_ADMIN; the password is read from stdin.
    CreateSuperadmin {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "Super Admin")]
        name: String,
        /// Read the password from the first line of standard input.
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Create an ACTIVE user, optionally a member of an organization with roles.
    CreateUser {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// Read the password from the first line of standard input.
        #[arg(long, required = true)]
        password_stdin: bool,
        /// Organization slug to add the user to.
        #[arg(long)]
        org: Option<String>,
        /// Role in that organization (repeatable), e.g. EXAM_AUTHOR.
        #[arg(long = "role", requires = "org")]
        roles: Vec<String>,
    },
    /// Recompute an audit chain's hashes and report the first broken entry
    /// (exit 0 intact, 1 broken).
    AuditVerify {
        /// Organization slug; without it, the platform's chain.
        #[arg(long)]
        org: Option<String>,
    },
    /// Write an audit chain as JSON lines (every field, oldest first).
    AuditExport {
        /// Organization slug; without it, the platform's chain.
        #[arg(long)]
        org: Option<String>,
        /// Write to this file instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// List mails not yet delivered.
    Outbox {
        /// One JSON object per line with `to`, `subject`, `body`.
        #[arg(long)]
        json: bool,
    },
}

/// A failure with its exit code.
#[derive(Debug)]
struct Failure {
    code: u8,
    message: String,
}

fn usage(message: impl Into<String>) -> Failure {
    Failure {
        code: 2,
        message: message.into(),
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure {
            code: 1,
            message: format!("{e:#}"),
        }
    }
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
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("error: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

fn load_config(cli: &Cli, addr: Option<std::net::SocketAddr>) -> Result<Config, Failure> {
    let flags = FlagOverrides {
        addr,
        data_dir: cli.data_dir.clone(),
    };
    let loaded = Config::load(cli.config.as_deref(), &flags).map_err(|e| usage(e.to_string()))?;
    crate::telemetry::init_logging(&loaded.config);
    for w in &loaded.warnings {
        tracing::warn!("{w}");
    }
    Ok(loaded.config)
}

async fn run(cli: Cli) -> Result<(), Failure> {
    match &cli.command {
        Command::Openapi => {
            let json = crate::http::openapi()
                .to_pretty_json()
                .map_err(|e| anyhow::anyhow!("cannot render the OpenAPI document: {e}"))?;
            println!("{json}");
        }
        Command::Serve(args) => {
            let config = load_config(&cli, args.addr)?;
            let state = crate::app::start_state(config).await?;
            crate::app::serve(state).await?;
        }
        Command::Demo(args) => {
            let config = load_config(&cli, args.addr)?;
            let state = crate::app::start_state(config).await?;
            let accounts = crate::demo::load(&state).await?;
            println!(
                "{}",
                crate::demo::render(&accounts, &state.config.public_base())
            );
            crate::app::serve(state).await?;
        }
        Command::Migrate => {
            let config = load_config(&cli, None)?;
            let db = crate::app::open_db(&config).await?;
            println!("migrations applied ({})", db.backend().name());
            db.close().await.ok();
        }
        Command::Load(args) => {
            let config = load_config_quiet(&cli)?;
            args.check().map_err(usage)?;
            load(config, args.clone()).await?;
        }
        Command::Admin(cmd) => {
            let mut config = load_config_quiet(&cli)?;
            config.db_max_connections = 2;
            admin(&config, cmd).await?;
        }
    }
    Ok(())
}

/// `invigil load`: this process gets the server's state (its writers, for
/// the baseline; no jobs) on the configured database.
async fn load(config: Config, args: invigil_load::LoadArgs) -> Result<(), Failure> {
    let db = crate::app::open_db(&config).await?;
    let state =
        crate::state::AppState::new(db, config, std::sync::Arc::new(crate::clock::SystemClock));
    let harness = load::ServerHarness {
        state: state.clone(),
    };
    let outcome = invigil_load::run(args, &harness).await;
    state.background.shutdown().await;
    state.db.clone().close().await.ok();
    let report = outcome?;
    if report.lost > 0 {
        return Err(Failure {
            code: 1,
            message: format!(
                "{} acknowledged writes are not in the database",
                report.lost
            ),
        });
    }
    Ok(())
}

/// Admin commands print results on stdout; keep the log to warnings unless
/// a level was configured.
fn load_config_quiet(cli: &Cli) -> Result<Config, Failure> {
    let flags = FlagOverrides {
        addr: None,
        data_dir: cli.data_dir.clone(),
    };
    let mut loaded =
        Config::load(cli.config.as_deref(), &flags).map_err(|e| usage(e.to_string()))?;
    if loaded.config.log == Config::default().log {
        loaded.config.log = "warn".into();
    }
    crate::telemetry::init_logging(&loaded.config);
    for w in &loaded.warnings {
        tracing::warn!("{w}");
    }
    Ok(loaded.config)
}

fn read_password() -> Result<String, Failure> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Failure {
            code: 1,
            message: format!("cannot read the password from stdin: {e}"),
        })?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        return Err(usage("no password on standard input"));
    }
    Ok(password)
}

async fn admin(config: &Config, cmd: &AdminCommand) -> Result<(), Failure> {
    match cmd {
        AdminCommand::CreateSuperadmin { email, name, .. } => {
            let email = Email::parse(email).map_err(|e| usage(format!("--email: {e}")))?;
            let password = read_password()?;
            check_new_password(&password, Some(email.as_str()))
                .map_err(|e| usage(format!("password: {e}")))?;
            let db = crate::app::open_db(config).await?;
            let id = create_user(&db, &email, name, &password, true, None, &[]).await?;
            println!("{id}");
        }
        AdminCommand::CreateUser {
            email,
            name,
            org,
            roles,
            ..
        } => {
            let email = Email::parse(email).map_err(|e| usage(format!("--email: {e}")))?;
            let name = Text::<200>::parse_lenient("name", name)
                .map_err(|e| usage(format!("--{} {e}", e.field)))?;
            let name = name.as_str();
            let mut parsed = Vec::new();
            for r in roles {
                match Role::parse(r.trim()) {
                    Some(Role::SuperAdmin) => {
                        return Err(usage("--role SUPER_ADMIN: use create-superadmin"));
                    }
                    Some(role) => parsed.push(role),
                    None => {
                        return Err(usage(format!(
                            "--role {r}: unknown role (one of {})",
                            Role::ALL.map(|r| r.as_str()).join(", ")
                        )));
                    }
                }
            }
            let password = read_password()?;
            check_new_password(&password, Some(email.as_str()))
                .map_err(|e| usage(format!("password: {e}")))?;
            let db = crate::app::open_db(config).await?;
            let id =
                create_user(&db, &email, name, &password, false, org.as_deref(), &parsed).await?;
            println!("{id}");
        }
        AdminCommand::AuditVerify { org } => {
            let db = crate::app::open_db(config).await?;
            let org_id = org_id_of(&db, org.as_deref()).await?;
            let v = crate::audit::offline::verify(&db, org_id)
                .await
                .map_err(anyhow::Error::from)?;
            match v.first_broken {
                None => println!(
                    "audit chain intact: {} entries, head at {}",
                    v.entries, v.head_seq
                ),
                Some(b) => {
                    let id = b.id.map(|i| format!(" ({i})")).unwrap_or_default();
                    return Err(Failure {
                        code: 1,
                        message: format!(
                            "audit chain BROKEN at entry {}{id}: {}; {} entries before it are intact",
                            b.seq, b.reason, v.entries
                        ),
                    });
                }
            }
        }
        AdminCommand::AuditExport { org, out } => {
            let db = crate::app::open_db(config).await?;
            let org_id = org_id_of(&db, org.as_deref()).await?;
            let written = match out {
                Some(path) => {
                    let file = std::fs::File::create(path).map_err(|e| Failure {
                        code: 1,
                        message: format!("cannot create {}: {e}", path.display()),
                    })?;
                    let mut w = std::io::BufWriter::new(file);
                    crate::audit::offline::export(&db, org_id, &mut w).await?
                }
                None => {
                    let mut w = std::io::BufWriter::new(std::io::stdout().lock());
                    crate::audit::offline::export(&db, org_id, &mut w).await?
                }
            };
            eprintln!("{written} audit entries exported");
        }
        AdminCommand::Outbox { json } => {
            let db = crate::app::open_db(config).await?;
            let mails = outbox::unsent(db.read(), 10_000)
                .await
                .map_err(anyhow::Error::from)?;
            let mut out = std::io::stdout().lock();
            for m in mails {
                let written = if *json {
                    let line = serde_json::json!({
                        "id": m.id, "to": m.to_email, "subject": m.subject, "body": m.body, "created_at": m.created_at,
                    });
                    writeln!(out, "{line}")
                } else {
                    writeln!(
                        out,
                        "To: {}\nSubject: {}\nDate: {}\n\n{}\n----",
                        m.to_email,
                        m.subject,
                        m.created_at.to_rfc3339(),
                        m.body
                    )
                };
                written.map_err(|e| Failure {
                    code: 1,
                    message: e.to_string(),
                })?;
            }
        }
    }
    Ok(())
}

/// The id of the organization `slug` (`None` without a slug: the
/// platform); an unknown slug is a usage error.
async fn org_id_of(db: &Db, slug: Option<&str>) -> Result<Option<uuid::Uuid>, Failure> {
    let Some(slug) = slug else {
        return Ok(None);
    };
    match tenancy::org_by_slug(db.read(), slug)
        .await
        .map_err(anyhow::Error::from)?
    {
        Some(o) => Ok(Some(o.id)),
        None => Err(usage(format!("--org {slug}: no such organization"))),
    }
}

async fn create_user(
    db: &Db,
    email: &Email,
    name: &str,
    password: &str,
    super_admin: bool,
    org: Option<&str>,
    roles: &[Role],
) -> Result<uuid::Uuid, Failure> {
    let now = crate::clock::truncate(chrono::Utc::now());
    let hash = Hasher::owasp(1).hash(password).await.map_err(|e| Failure {
        code: 1,
        message: e.to_string(),
    })?;
    let tx = db.begin().await.map_err(anyhow::Error::from)?;
    let org = match org {
        Some(slug) => Some(
            tenancy::org_by_slug(&tx, slug)
                .await
                .map_err(anyhow::Error::from)?
                .ok_or_else(|| usage(format!("--org {slug}: no such organization")))?,
        ),
        None => None,
    };
    let user = users::create(
        &tx,
        users::NewUser {
            email: email.as_str().to_owned(),
            name: name.to_owned(),
            status: AccountStatus::Active,
            password_hash: Some(hash),
            is_super_admin: super_admin,
            email_verified: true,
        },
        now,
    )
    .await
    .map_err(|e| match e {
        invigil_store::StoreError::Conflict(_) => {
            usage(format!("a user with the email {} exists", email.as_str()))
        }
        other => Failure {
            code: 1,
            message: other.to_string(),
        },
    })?;
    if let Some(org) = &org {
        tenancy::ensure_member(&tx, org.id, user.id, now)
            .await
            .map_err(anyhow::Error::from)?;
        let rows: Vec<(Role, Option<uuid::Uuid>)> = roles.iter().map(|r| (*r, None)).collect();
        tenancy::add_roles(&tx, org.id, user.id, &rows, now)
            .await
            .map_err(anyhow::Error::from)?;
    }
    let cli = crate::http::auth::ClientInfo {
        ip: None,
        user_agent: Some("invigil-cli".into()),
        ..crate::http::auth::ClientInfo::default()
    };
    let action = if super_admin {
        AuditAction::AdminSuperadminCreated
    } else {
        AuditAction::AdminUserCreated
    };
    Audit::anonymous(&cli, org.as_ref().map(|o| o.id), now)
        .record(
            &tx,
            action,
            user.id,
            serde_json::json!({ "email": email.as_str(), "roles": roles }),
        )
        .await
        .map_err(anyhow::Error::from)?;
    tx.commit().await.map_err(anyhow::Error::from)?;
    Ok(user.id)
}
