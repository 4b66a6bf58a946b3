//! `messgo`: parses flags and starts the server library. Nothing else lives here.

mod admin;
mod bench;
mod chat;
mod chat_files;
mod chat_react;
mod cli;

use std::sync::Arc;

use anyhow::Context;
use clap::Parser;
use messgo_server::{Config, ConfigLayer, Server, SystemClock};
use tracing_subscriber::EnvFilter;

use cli::{Cli, Command, ServeArgs};

// Every message allocates a handful of short-lived buffers on the way through;
// mimalloc's thread-local free lists serve those faster than glibc's malloc.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // Servers and load generators hold many sockets: take the whole file limit the
    // system allows this process, not the soft default.
    if let Err(e) = rlimit::increase_nofile_limit(u64::MAX) {
        eprintln!("could not raise the open-file limit: {e}");
    }
    match cli.command {
        Some(Command::Serve(args)) => multi_thread()?.block_on(serve(*args)),
        Some(Command::Chat(args)) => multi_thread()?.block_on(chat::run(args)),
        // The generator is one thread: pinned to one core, it would only contend
        // with itself, and its shared counters need no cross-thread traffic.
        Some(Command::Bench(args)) => {
            let met = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?
                .block_on(bench::run(*args.clone()))?;
            if args.require_targets && !met {
                std::process::exit(3);
            }
            Ok(())
        }
        // The soak makes its own runtimes: one thread for honest clients, one for
        // the attackers, and the server a process of its own.
        Some(Command::Soak(args)) => {
            if !bench::soak::run(&args)? && args.require_targets {
                std::process::exit(3);
            }
            Ok(())
        }
        // Its own runtime for the clients; the server is a child process it kills.
        Some(Command::CrashSoak(args)) => {
            if !bench::crash::run(&args)? {
                std::process::exit(3);
            }
            Ok(())
        }
        // Its own runtime for the clients; the server is a child process.
        Some(Command::FilesSoak(args)) => {
            if !bench::files::run(&args)? {
                std::process::exit(3);
            }
            Ok(())
        }
        Some(Command::Admin(args)) => one_line(multi_thread()?.block_on(admin::run(*args))),
        Some(Command::Backup(args)) => one_line(multi_thread()?.block_on(admin::backup(*args))),
        Some(Command::Restore(args)) => one_line(multi_thread()?.block_on(admin::restore(*args))),
        None => multi_thread()?.block_on(serve(cli.serve)),
    }
}

/// An operator's command fails in one line on stderr, with exit status 1.
fn one_line(result: anyhow::Result<()>) -> anyhow::Result<()> {
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
    Ok(())
}

/// The settings `args` name, layered over `messgo.toml` and the environment.
pub fn resolve_config(args: &ServeArgs) -> anyhow::Result<Config> {
    let (file_layer, _, _) = read_config_file(args)?;
    let (env_layer, _) = ConfigLayer::from_env(std::env::vars())?;
    Ok(Config::resolve([file_layer, env_layer, args.layer()])?)
}

fn multi_thread() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let (file_layer, unknown_keys, file_name) = read_config_file(&args)?;
    let (env_layer, unknown_env) = ConfigLayer::from_env(std::env::vars())?;
    let config = Config::resolve([file_layer, env_layer, args.layer()])?;

    tracing_subscriber::fmt()
        .with_env_filter(log_filter(&config.log)?)
        .with_target(false)
        .with_writer(std::io::stderr)
        .init();
    for key in unknown_keys {
        tracing::warn!(key, file = %file_name, "unknown setting in the config file; ignored");
    }
    for var in unknown_env {
        tracing::warn!(var, "unknown MESSGO_ environment variable; ignored");
    }
    tracing::debug!(?config, "configuration");

    // The error names the dependency that failed (database or bus) and its address.
    let server = Server::build(config.clone(), Arc::new(SystemClock)).await?;
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("could not listen on {}", config.bind))?;
    let addr = listener.local_addr()?;
    // Signal handlers go in before the URL is announced: whoever reads that line may
    // ask us to stop at once, and must get a clean shutdown, not the default kill.
    let shutdown = shutdown_signal()?;
    reload_on_hangup(server.certificates())?;
    // Before the line below, which whoever starts us waits for.
    if let Some(metrics) = server.metrics_addr() {
        println!("Metrics at http://{metrics}/metrics");
    }
    let scheme = if config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    println!("MessGo is listening on {scheme}://{addr} (open it in your browser; Ctrl+C stops it)");
    server.serve(listener, shutdown).await
}

/// The user's filter, with the libraries that would log raw frames or bodies at
/// their most verbose levels held at `info`: no log level may show content.
fn log_filter(spec: &str) -> anyhow::Result<EnvFilter> {
    let quiet = [
        "tungstenite",
        "tokio_tungstenite",
        "hyper",
        "hyper_util",
        "h2",
        "reqwest",
        "rustls",
    ]
    .map(|target| format!("{target}=info"))
    .join(",");
    EnvFilter::try_new(format!("{spec},{quiet}")).context("the log filter (--log) is not valid")
}

fn read_config_file(args: &ServeArgs) -> anyhow::Result<(ConfigLayer, Vec<String>, String)> {
    let (path, required) = match &args.config {
        Some(p) => (p.clone(), true),
        None => ("messgo.toml".into(), false),
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let (layer, unknown) = ConfigLayer::from_toml(&text)?;
            Ok((layer, unknown, path.display().to_string()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
            Ok((ConfigLayer::default(), vec![], String::new()))
        }
        Err(e) => Err(e).with_context(|| format!("could not read {}", path.display())),
    }
}

/// SIGHUP (`systemctl reload`) reads the TLS certificate and key again; without
/// built-in TLS it changes nothing, and does not stop the server as it would by
/// default.
fn reload_on_hangup(
    certificates: Option<Arc<messgo_server::http::tls::Certificates>>,
) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
            .context("could not listen for SIGHUP")?;
        tokio::spawn(async move {
            while hup.recv().await.is_some() {
                match &certificates {
                    Some(certificates) => {
                        certificates.reload();
                    }
                    None => tracing::info!("SIGHUP: nothing to reload (no built-in TLS)"),
                }
            }
        });
    }
    #[cfg(not(unix))]
    let _ = certificates;
    Ok(())
}

/// Registers for Ctrl+C and SIGTERM now; the returned future resolves on either.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("could not listen for SIGTERM")?;
    let ctrl_c = tokio::signal::ctrl_c();
    Ok(async move {
        #[cfg(unix)]
        let term = term.recv();
        #[cfg(not(unix))]
        let term = std::future::pending::<Option<()>>();
        tokio::select! {
            _ = ctrl_c => {}
            _ = term => {}
        }
        tracing::info!("shutting down: finishing requests in flight");
    })
}
