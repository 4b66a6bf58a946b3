//! The binary as a user runs it: help, defaults, layered settings, clean shutdown.

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};

mod common;

use common::{start, BIN};

fn messgo(cwd: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(cwd)
        .env_remove("MESSGO_BIND")
        .env_remove("MESSGO_DATA_DIR")
        // `terminate` reads what the server logged.
        .stderr(Stdio::piped());
    cmd
}

fn terminate(mut child: Child) -> (std::process::ExitStatus, String) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let status = child.wait().expect("the server is our child");
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("`messgo` pipes stderr")
        .read_to_string(&mut stderr)
        .expect("the server's stderr reads");
    (status, stderr)
}

#[test]
fn help_documents_every_setting() {
    for args in [&["--help"][..], &["serve", "--help"][..]] {
        let out = Command::new(BIN).args(args).output().unwrap();
        assert!(out.status.success());
        let help = String::from_utf8(out.stdout).unwrap();
        for s in messgo_server::config::settings() {
            assert!(help.contains(&s.flag), "{args:?} lacks {}", s.flag);
            assert!(help.contains(&s.env), "{args:?} lacks {}", s.env);
            assert!(
                help.contains(&format!("[toml: {}]", s.key)),
                "{args:?} lacks the toml key {}",
                s.key
            );
            if let Some(default) = &s.default {
                assert!(
                    help.contains(&format!("[default: {default}]")),
                    "{args:?} lacks the default of {}",
                    s.key
                );
            }
            if let Some(file) = s.file_env() {
                assert!(help.contains(&file), "{args:?} lacks {file}");
            }
        }
    }
}

#[tokio::test]
async fn serves_with_defaults_and_stops_cleanly_on_sigterm() {
    let cwd = tempfile::tempdir().unwrap();
    let mut cmd = messgo(cwd.path());
    cmd.args(["--bind", "127.0.0.1:0"]);
    let (child, url) = start(cmd);
    let health: serde_json::Value = reqwest::get(format!("{url}/api/health"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
    let page = reqwest::get(format!("{url}/"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("MessGo"));

    let (status, stderr) = terminate(child);
    assert!(status.success(), "exit {status}: {stderr}");
    assert!(stderr.contains("the database is closed"), "{stderr}");
    let db = cwd.path().join("messgo-data/messgo.db");
    assert!(db.exists(), "the default data directory holds the database");
    assert!(
        !cwd.path().join("messgo-data/messgo.db-wal").exists(),
        "a clean close leaves no WAL behind"
    );
}

#[tokio::test]
async fn settings_layer_file_then_environment_then_flags() {
    let cwd = tempfile::tempdir().unwrap();
    std::fs::write(
        cwd.path().join("messgo.toml"),
        "data_dir = \"from-file\"\nbind = \"127.0.0.1:1\"\nfavourite_colour = \"blue\"\n",
    )
    .unwrap();
    let mut cmd = messgo(cwd.path());
    cmd.env("MESSGO_DATA_DIR", "from-env")
        .args(["serve", "--bind", "127.0.0.1:0"]);
    let (child, url) = start(cmd);
    assert!(!url.ends_with(":1"), "the flag beats the file");
    let (status, stderr) = terminate(child);
    assert!(status.success(), "{stderr}");
    assert!(
        cwd.path().join("from-env/messgo.db").exists(),
        "the environment beats the file"
    );
    assert!(!cwd.path().join("from-file").exists());
    assert!(
        stderr.contains("favourite_colour"),
        "unknown keys are warned about: {stderr}"
    );
}

#[test]
fn bad_settings_stop_the_start_with_a_clear_error() {
    let cwd = tempfile::tempdir().unwrap();
    let out = messgo(cwd.path())
        .args(["--bind", "127.0.0.1:0", "--kdf-iterations", "5"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("kdf_iterations") && stderr.contains("between"),
        "{stderr}"
    );

    let out = messgo(cwd.path())
        .args(["--session-idle", "soon"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a duration"));
}

/// A port nothing listens on (bound, then released).
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("bound").port()
}

/// Starts `messgo serve` with `env` and returns how it ended and what it said; it
/// must end by itself (a dependency it cannot reach is an error, not a hang).
fn fails_to_start(env: &[(&str, String)]) -> String {
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut cmd = messgo(dir.path());
    cmd.args(["serve", "--bind", "127.0.0.1:0"])
        .env("RUST_BACKTRACE", "0");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("messgo runs");
    assert!(
        !out.status.success(),
        "it must not serve without its dependency"
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn an_unreachable_bus_is_named_as_the_bus() {
    let port = closed_port();
    let said = fails_to_start(&[("MESSGO_BUS", format!("nats://127.0.0.1:{port}"))]);
    assert!(
        said.contains("could not connect to the bus")
            && said.contains(&format!("nats://127.0.0.1:{port}")),
        "{said}"
    );
    assert!(!said.contains("database"), "not the database: {said}");
}

#[test]
fn an_unreachable_postgres_fails_at_once_with_its_reason() {
    let port = closed_port();
    let said = fails_to_start(&[(
        "MESSGO_DATABASE",
        format!("postgres://messgo:secret-pw@127.0.0.1:{port}/messgo"),
    )]);
    assert!(
        said.contains(
            "could not open the database (PostgreSQL at postgres://messgo:***@127.0.0.1:"
        ),
        "{said}"
    );
    assert!(
        said.to_lowercase().contains("connection refused"),
        "the reason, not a pool timeout: {said}"
    );
    assert!(
        !said.contains("secret-pw"),
        "the password stays hidden: {said}"
    );
}
