use std::io::Read;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use inbound_transfer::config::Settings;
use inbound_transfer::domain::Role;
use inbound_transfer::startup::{prepare_database, Application};
use inbound_transfer::{cli, telemetry};

mod bench;
mod chaos;
mod drills;

#[derive(Parser)]
#[command(
    name = "inbound-transfer",
    version,
    about = "Closed-loop transfer of inbound travellers"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run pending migrations, then serve HTTP (the default).
    Serve,
    /// Run pending migrations and exit.
    Migrate,
    /// Create a user; the password is read from standard input.
    CreateUser {
        #[arg(long)]
        username: String,
        #[arg(long, required = true)]
        password_stdin: bool,
        #[arg(long, value_parser = parse_role)]
        role: Role,
        #[arg(long)]
        unit_code: Option<String>,
        #[arg(long)]
        display_name: Option<String>,
    },
    /// Set a user's password, read from standard input; every session of the user ends.
    SetPassword {
        #[arg(long)]
        username: String,
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// A fault run: two instances over a PostgreSQL cluster of its own (made with initdb on
    /// --port), driven through the whole loop while instances are killed and the database
    /// restarted and paused; then every invariant is checked and the figures printed.
    Chaos {
        /// How long the workload and the faults run, in seconds.
        #[arg(long, default_value_t = 60)]
        seconds: u64,
        /// The most travellers registered.
        #[arg(long, default_value_t = 2000)]
        travellers: usize,
        /// The port of the cluster made for the run (never 5432).
        #[arg(long, default_value_t = 55432)]
        port: u16,
        /// Trips driven at once.
        #[arg(long, default_value_t = 6)]
        workers: usize,
    },
    /// A rolling restart behind HAProxy under load: two instances over a PostgreSQL cluster of the
    /// drill's own (made with initdb on --port), each restarted with SIGTERM in turn; fails when a
    /// request failed, an acknowledged write is lost or a stream skipped or repeated an event.
    DrillRolling {
        /// The port of the cluster made for the drill (never 5432).
        #[arg(long, default_value_t = 55441)]
        port: u16,
        /// Clients sending requests at once.
        #[arg(long, default_value_t = 4)]
        clients: usize,
    },
    /// Continuous archiving with pgBackRest under writes, then a restore to a moment in the middle
    /// of them into a fresh cluster (ports --port and the next), checked: every write acknowledged
    /// before the moment is there, none begun after it, the log verifies, statistics recount.
    DrillPitr {
        #[arg(long, default_value_t = 55451)]
        port: u16,
        /// Seconds of writes after the full backup.
        #[arg(long, default_value_t = 6)]
        seconds: u64,
    },
    /// A Patroni cluster of two PostgreSQL members and one etcd (synchronous mode) loses its
    /// primary to SIGKILL under write load, twice (the old primary rejoining in between); fails
    /// when an acknowledged write is lost, a retried one acts twice, writes stay down longer than
    /// ttl + loop_wait + 10 s, or the stream, dashboard, chains or statistics disagree.
    DrillFailover {
        /// The first of six loopback ports (etcd client and peer, two PostgreSQL, two REST APIs).
        #[arg(long, default_value_t = 55461)]
        port: u16,
    },
    /// Check every chain of the audit log; exits 1 when one is broken.
    VerifyLog,
    /// Copy the SQLite database while the service runs and writes, then check the copy
    /// (integrity, the audit log's chains, the statistics against a recount) before naming it
    /// PATH; exits non-zero when a check fails. PostgreSQL: README, "Operations".
    Backup {
        /// Where the copy goes; never overwritten.
        #[arg(long)]
        to: std::path::PathBuf,
    },
    /// Erase the personal data of travellers whose loop closed more than privacy.retain_days ago.
    EraseExpired,
    /// Load the demo data set, idempotently.
    SeedDemo,
    /// Build synthetic histories and measure the statistics endpoints against /healthz.
    Bench {
        /// Database URLs to measure on (a fresh file or database is made per size).
        #[arg(long = "database", default_value = "sqlite://data/bench.db")]
        databases: Vec<String>,
        /// History sizes, in travellers.
        #[arg(long = "travellers", default_values_t = [10_000usize, 1_000_000])]
        sizes: Vec<usize>,
        /// Requests per latency measurement (four times as many for throughput).
        #[arg(long, default_value_t = 2000)]
        requests: usize,
        /// Clients in flight for throughput.
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
    },
    /// Measure the write path on PostgreSQL against pgbench, two cities side by side, and many
    /// event streams (a fresh database is made and dropped).
    BenchWrites {
        /// The PostgreSQL server, as the URL of a database to connect to for creating another.
        #[arg(long = "database", default_value = "postgres://postgres@127.0.0.1:5432/test")]
        database: String,
        /// Seconds per figure.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Event streams opened at once.
        #[arg(long, default_value_t = 1000)]
        streams: usize,
    },
    /// Import a manifest as CSV and as XLSX, and export a large roster as XLSX and CSV, through
    /// the API (a fresh database is made per URL).
    BenchSheets {
        /// Database URLs to measure on.
        #[arg(long = "database", default_value = "sqlite://data/bench-sheets.db")]
        databases: Vec<String>,
        /// Rows of each manifest.
        #[arg(long, default_value_t = 10_000)]
        import_rows: usize,
        /// Travellers in the roster's history.
        #[arg(long, default_value_t = 100_000)]
        roster_rows: usize,
    },
    /// Send the hostile workbooks of an attack run, measuring the memory each costs and how long
    /// a login waits meanwhile (a fresh database is made per URL).
    BenchHostile {
        /// Database URLs to measure on.
        #[arg(long = "database", default_value = "sqlite://data/bench-hostile.db")]
        databases: Vec<String>,
    },
    /// Time from navigation to the first pending handoff on an officer's phone, through a relay
    /// throttled to 400 kbit/s each way and 400 ms round trip: cold, warm and offline, per
    /// running service (README, "The desk on a poor network").
    BenchDesk {
        /// label=URL of each service to measure, e.g. current=http://127.0.0.1:8080.
        #[arg(long = "service", required = true)]
        services: Vec<String>,
        /// An officer with pending handoffs (the demo's, in a day in motion, by default).
        #[arg(long, default_value = "tn.officer")]
        username: String,
        #[arg(long, default_value = "district-demo-pass")]
        password: String,
        /// Rounds per service, each in a new browser profile; the figures are their medians.
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
}

fn parse_role(word: &str) -> Result<Role, String> {
    Role::parse(word).ok_or_else(|| {
        let all: Vec<_> = Role::ALL.iter().map(|r| r.as_str()).collect();
        format!("unknown role {word}; one of {}", all.join(", "))
    })
}

/// The settings with the log at `warn`: a benchmark's output is its figures.
fn quiet(settings: Settings) -> Settings {
    Settings {
        log: inbound_transfer::config::LogSettings {
            level: "warn".into(),
            ..settings.log.clone()
        },
        ..settings
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let command = cli.command.unwrap_or(Command::Serve);
    // A benchmark's output is its figures: its log is quiet from the first line.
    let settings = match command {
        Command::Bench { .. }
        | Command::BenchWrites { .. }
        | Command::BenchSheets { .. }
        | Command::BenchHostile { .. }
        | Command::BenchDesk { .. } => quiet(settings),
        _ => settings,
    };
    telemetry::init(&settings.log);
    let result = match command {
        Command::Serve => serve(settings),
        Command::Migrate => prepare_database(&Settings {
            demo: inbound_transfer::config::DemoSettings {
                seed: false,
                motion: false,
            },
            ..settings
        })
        .map(|_| ()),
        Command::Chaos {
            seconds,
            travellers,
            port,
            workers,
        } => chaos::run(chaos::ChaosOptions {
            seconds,
            travellers,
            port,
            workers,
        }),
        Command::EraseExpired => cli::erase_expired(&settings),
        Command::Backup { to } => cli::backup(&settings, &to),
        Command::DrillFailover { port } => drills::failover::run(drills::failover::FailoverOptions { port }),
        Command::DrillPitr { port, seconds } => {
            drills::pitr::run(drills::pitr::PitrOptions { port, seconds })
        }
        Command::DrillRolling { port, clients } => {
            drills::rolling::run(drills::rolling::RollingOptions { port, clients })
        }
        Command::VerifyLog => match cli::verify_log(&settings) {
            Ok(true) => Ok(()),
            Ok(false) => return ExitCode::FAILURE,
            Err(e) => Err(e),
        },
        Command::SeedDemo => {
            if settings.is_production() {
                Err("APP_ENV=production refuses to load demo data".into())
            } else {
                let with_seed = Settings {
                    demo: inbound_transfer::config::DemoSettings {
                        seed: true,
                        motion: false,
                    },
                    ..settings
                };
                prepare_database(&with_seed).map(|_| ())
            }
        }
        Command::Bench {
            databases,
            sizes,
            requests,
            concurrency,
        } => bench::history::run(
            settings,
            bench::history::BenchOptions {
                databases,
                sizes,
                requests,
                concurrency,
            },
        ),
        Command::BenchWrites {
            database,
            seconds,
            streams,
        } => bench::writes::run(
            settings,
            bench::writes::WriteOptions {
                database,
                seconds,
                streams,
            },
        ),
        Command::BenchSheets {
            databases,
            import_rows,
            roster_rows,
        } => bench::sheets::run(
            settings,
            bench::sheets::SheetOptions {
                databases,
                import_rows,
                roster_rows,
            },
        ),
        Command::BenchHostile { databases } => bench::hostile::run(settings, databases),
        Command::BenchDesk {
            services,
            username,
            password,
            runs,
        } => bench::desk::run(bench::desk::DeskOptions {
            services,
            username,
            password,
            runs,
        }),
        Command::CreateUser {
            username,
            password_stdin: _,
            role,
            unit_code,
            display_name,
        } => read_password().and_then(|password| {
            cli::create_user(
                &settings,
                &username,
                &password,
                role,
                unit_code.as_deref(),
                display_name.as_deref(),
            )
        }),
        Command::SetPassword {
            username,
            password_stdin: _,
        } => read_password().and_then(|password| cli::set_password(&settings, &username, &password)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "stopped");
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The password on standard input, without its final line break.
fn read_password() -> Result<String, String> {
    let mut password = String::new();
    std::io::stdin()
        .read_to_string(&mut password)
        .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
    Ok(password.trim_end_matches(['\r', '\n']).to_owned())
}

fn serve(settings: Settings) -> Result<(), String> {
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(settings).await?;
        app.run_until_stopped().await.map_err(|e| e.to_string())
    })
}
