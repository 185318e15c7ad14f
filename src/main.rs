//! The `apigw-agent` command line.
#![forbid(unsafe_code)]

use apigw_agent::config::{self, Config, ConfigError, LogFormat};
use apigw_agent::pipeline::Telemetry;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "apigw-agent", about = "Traceability agent for Amazon API Gateway", disable_version_flag = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the agent: CloudWatch Logs -> Amplify events -> Lumberjack.
    Run {
        #[arg(long, short)]
        config: PathBuf,
        /// If the state file is corrupt, move it aside (`<file>.corrupt-<time>`) and start from
        /// aws.poll.start_position instead of refusing to start.
        #[arg(long)]
        reset_state: bool,
    },
    /// Run the whole pipeline on synthetic traffic into an in-process receiver; needs nothing installed.
    Demo {
        #[arg(long, default_value_t = 10_000)]
        records: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Inject receiver faults at random (seeded) and kill the pipeline (SIGKILL) twice,
        /// restarting it from its state file each time.
        #[arg(long)]
        chaos: bool,
    },
    /// One pipeline run of `demo --chaos` (run by it, not by hand).
    #[command(hide = true)]
    DemoWorker {
        #[arg(long)]
        receiver: String,
        #[arg(long)]
        state: String,
        #[arg(long)]
        records: u64,
        #[arg(long)]
        seed: u64,
    },
    /// Validate a configuration and print it as it takes effect (secrets masked); exit 2 if invalid.
    CheckConfig {
        #[arg(long, short)]
        config: PathBuf,
    },
    /// List the REST and HTTP APIs and stages this configuration finds, and which aws.filter selects.
    Discover {
        #[arg(long, short)]
        config: PathBuf,
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Point the access logging of every stage aws.filter selects at aws.log_group's first group,
    /// in the agent's JSON format.
    SetupLogging {
        #[arg(long, short)]
        config: PathBuf,
        /// Print what would change, change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Print the version.
    Version,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Version => {
            println!("apigw-agent {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Command::CheckConfig { config } => match config::load(&config) {
            Ok(c) => {
                let mut out = String::new();
                macro_rules! say {
                    ($($arg:tt)*) => {{
                        out.push_str(&format!($($arg)*));
                        out.push('\n');
                    }};
                }
                say!("# configuration {} is valid; effective values (secrets masked):", config.display());
                match apigw_agent::tls::client_config(&c.traceability) {
                    Ok(Some(tls)) => {
                        say!("# traceability TLS: {}", tls.describe());
                        for warning in &tls.policy.warnings {
                            say!("# warning: {warning}");
                        }
                    }
                    Ok(None) => say!("# traceability TLS: off (traceability.enable_ssl is false)"),
                    Err(e) => say!("# traceability TLS: {e}"),
                }
                match apigw_agent::tls::http_client_config(&c.central.ssl) {
                    Ok(Some((_, policy))) => {
                        let versions: Vec<String> = policy.versions.iter().map(ToString::to_string).collect();
                        say!(
                            "# HTTPS clients (AWS, Central) TLS: versions {}; cipher suites {}",
                            versions.join(", "),
                            policy.suite_names.join(", ")
                        );
                        for warning in &policy.warnings {
                            say!("# warning: {warning}");
                        }
                    }
                    Ok(None) => {
                        say!("# HTTPS clients (AWS, Central) TLS: the AWS SDK's defaults (TLS1.2, TLS1.3; AEAD suites)")
                    }
                    Err(e) => say!("# HTTPS clients TLS: {e}"),
                }
                out.push_str(&serde_yaml_ng::to_string(&c).expect("config serializes"));
                // A closed pipe (check-config | head) is not an error worth a panic.
                let _ = std::io::Write::write_all(&mut std::io::stdout(), out.as_bytes());
                ExitCode::SUCCESS
            }
            Err(e) => config_failure(&e),
        },
        Command::Run { config, reset_state } => {
            let c = match config::load(&config) {
                Ok(c) => c,
                Err(e) => return config_failure(&e),
            };
            init_logging(&c);
            if reset_state {
                match apigw_agent::checkpoint::CheckpointStore::new(&c.state.path).set_aside_if_corrupt() {
                    Ok(Some(moved)) => tracing::warn!(
                        moved_to = %moved.display(),
                        start_position = %c.aws.poll.start_position,
                        "--reset-state: the state file was corrupt and is set aside; reading starts from aws.poll.start_position"
                    ),
                    Ok(None) => {}
                    Err(e) => {
                        eprintln!("apigw-agent: {e}");
                        return ExitCode::FAILURE;
                    }
                }
            }
            let result = actix::System::new().block_on(apigw_agent::agent::run(
                c,
                Telemetry::default(),
                apigw_agent::agent::shutdown_signal(),
            ));
            match result {
                Ok(apigw_agent::pipeline::RunEnd::SenderGaveUp) => ExitCode::FAILURE,
                Ok(_) => ExitCode::SUCCESS,
                Err(e) => {
                    tracing::error!("{e:#}");
                    eprintln!("apigw-agent: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Discover { config, json } => {
            let c = match config::load(&config) {
                Ok(c) => c,
                Err(e) => return config_failure(&e),
            };
            init_demo_logging();
            let found = actix::System::new().block_on(apigw_agent::discover::discover(&c));
            match found {
                Ok(catalog) => {
                    let text = if json {
                        apigw_agent::discover::to_json(&catalog) + "\n"
                    } else {
                        apigw_agent::discover::to_table(&catalog, &c.aws.filter)
                    };
                    let _ = std::io::Write::write_all(&mut std::io::stdout(), text.as_bytes());
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("apigw-agent discover: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::SetupLogging { config, dry_run } => {
            let c = match config::load(&config) {
                Ok(c) => c,
                Err(e) => return config_failure(&e),
            };
            init_demo_logging();
            actix::System::new().block_on(async move {
                let (clients, changes) = match apigw_agent::setup_logging::plan(&c).await {
                    Ok(p) => p,
                    Err(e) => {
                        eprintln!("apigw-agent setup-logging: {e:#}");
                        return ExitCode::FAILURE;
                    }
                };
                let mut failed = 0;
                for change in &changes {
                    if dry_run {
                        println!("would update: {}", change.describe());
                        continue;
                    }
                    match apigw_agent::setup_logging::apply(&clients, change).await {
                        Ok(()) => println!("updated: {}", change.describe()),
                        Err(e) => {
                            failed += 1;
                            println!("FAILED: {}: {e}", change.describe());
                        }
                    }
                }
                println!(
                    "{} stage(s){}{}",
                    changes.len(),
                    if dry_run { ", nothing changed (--dry-run)" } else { "" },
                    if failed > 0 { format!(", {failed} failed") } else { String::new() }
                );
                if failed > 0 {
                    ExitCode::FAILURE
                } else {
                    ExitCode::SUCCESS
                }
            })
        }
        Command::DemoWorker { receiver, state, records, seed } => {
            init_demo_logging();
            let opts = apigw_agent::demo::DemoOptions { records, seed };
            match actix::System::new()
                .block_on(async move { apigw_agent::demo::worker(&receiver, &state, &opts).await })
            {
                Ok(_) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("apigw-agent demo-worker: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Demo { records, seed, chaos } => {
            init_demo_logging();
            let opts = apigw_agent::demo::DemoOptions { records, seed };
            let result = actix::System::new().block_on(async move {
                if chaos {
                    apigw_agent::demo::chaos::run(&opts, &std::env::current_exe()?).await
                } else {
                    apigw_agent::demo::run(&opts).await
                }
            });
            match result {
                Ok(report) => {
                    println!("{report}");
                    if report.lost == 0 && report.unexpected == 0 {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::FAILURE
                    }
                }
                Err(e) => {
                    eprintln!("apigw-agent demo: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

/// The demo logs warnings only, unless LOG_LEVEL says otherwise.
fn init_demo_logging() {
    let mut c = Config::default();
    c.log.level = std::env::var("LOG_LEVEL").unwrap_or_else(|_| "warn".into());
    init_logging(&c);
}

fn config_failure(e: &ConfigError) -> ExitCode {
    eprintln!("apigw-agent: {e}");
    ExitCode::from(2)
}

fn init_logging(c: &Config) {
    // Other crates log at warn at most: the AWS SDK's debug output includes signing material.
    let filter =
        tracing_subscriber::EnvFilter::try_new(format!("warn,apigw_agent={}", c.log.level.to_ascii_lowercase()))
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,apigw_agent=info"));
    // Colours only on a terminal: container log collectors get plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    match c.log.format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Line => builder.init(),
    }
}
