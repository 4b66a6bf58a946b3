use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Command, FromArgMatches};
use messgo_proto::KdfParams;

use super::*;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// The layer `messgo serve ARGS` would take from its command line.
fn flags(args: &[&str]) -> ConfigLayer {
    let cmd = ConfigLayer::augment_args(Command::new("messgo"));
    let matches = cmd
        .try_get_matches_from(std::iter::once("messgo").chain(args.iter().copied()))
        .unwrap();
    ConfigLayer::from_arg_matches(&matches).unwrap()
}

#[test]
fn layers_stack_in_order() {
    let (file, unknown) = ConfigLayer::from_toml(
        "bind = \"127.0.0.1:9000\"\nkdf_iterations = 700000\nsession_idle = \"2d\"\n\
         behind_tls_proxy = true\nlog = \"debug\"\ncolour = \"blue\"\n",
    )
    .unwrap();
    assert_eq!(unknown, vec!["colour".to_owned()]);
    let (env, unknown_env) = ConfigLayer::from_env(env(&[
        ("MESSGO_BIND", "127.0.0.1:9001"),
        ("MESSGO_LOG", "warn"),
        ("MESSGO_NOPE", "1"),
        ("PATH", "/bin"),
    ]))
    .unwrap();
    assert_eq!(unknown_env, vec!["MESSGO_NOPE".to_owned()]);
    let flags = flags(&["--data-dir", "/tmp/x", "--log", "trace"]);
    let c = Config::resolve([file, env, flags]).unwrap();
    assert_eq!(c.bind.port(), 9001, "environment beats the file");
    assert_eq!(c.log, "trace", "flags beat the environment");
    assert_eq!(c.kdf_iterations, 700_000, "the file beats defaults");
    assert!(c.behind_tls_proxy);
    assert_eq!(c.session_idle, Duration::from_secs(2 * 86400));
    assert_eq!(c.data_dir, PathBuf::from("/tmp/x"));
    assert_eq!(c.max_body_bytes, 64 * 1024, "defaults fill the rest");
    let (limits, _) = ConfigLayer::from_env(self::env(&[
        ("MESSGO_REQUEST_LIMIT_PER_HOUR", "2"),
        ("MESSGO_MESSAGES_PER_MINUTE", "7"),
        ("MESSGO_TRUST_FORWARDED_FOR", "yes"),
    ]))
    .unwrap();
    let c = Config::resolve([limits]).unwrap();
    assert_eq!(
        (c.request_limit_per_hour, c.messages_per_minute),
        (2, 7),
        "every setting is taken"
    );
    assert!(c.trust_forwarded_for);
}

#[test]
fn flags_take_only_what_the_command_line_gave() {
    let c = Config::resolve([flags(&["--behind-tls-proxy", "--bus", "nats://n:4222"])]).unwrap();
    assert!(c.behind_tls_proxy, "a bare boolean flag means true");
    assert_eq!(c.bus.as_deref(), Some("nats://n:4222"));
    assert!(!c.trust_forwarded_for);
    let c = Config::resolve([flags(&["--behind-tls-proxy=false"])]).unwrap();
    assert!(!c.behind_tls_proxy);
    let (file, _) = ConfigLayer::from_toml("retention = \"1h\"").unwrap();
    let c = Config::resolve([file, flags(&[])]).unwrap();
    assert_eq!(
        c.retention,
        Duration::from_secs(3600),
        "flags' defaults do not hide the layers below"
    );
}

#[test]
fn defaults_are_declared_once_and_hold() {
    let c = Config::default();
    assert_eq!(c.bind, std::net::SocketAddr::from(([127, 0, 0, 1], 8080)));
    assert_eq!(c.data_dir, PathBuf::from("messgo-data"));
    assert_eq!((c.database, c.bus, c.ai.is_none()), (None, None, true));
    assert_eq!(c.log, "info");
    assert!(!c.behind_tls_proxy && !c.trust_forwarded_for);
    assert_eq!((c.max_body_bytes, c.max_blob_bytes), (64 * 1024, 100 << 20));
    assert_eq!(c.kdf_iterations, KdfParams::DEFAULT_ITERATIONS);
    assert_eq!(c.session_idle, Duration::from_secs(30 * 24 * 3600));
    assert_eq!((c.login_limit_per_username, c.login_limit_per_ip), (10, 50));
    assert_eq!(c.login_limit_window, Duration::from_secs(15 * 60));
    assert_eq!(
        (c.register_limit_per_ip, c.request_limit_per_hour),
        (20, 30)
    );
    assert_eq!(c.messages_per_minute, 600);
    assert_eq!(c.retention, MAX_RETENTION);
    assert_eq!(c.sweep_interval, Duration::from_secs(60));
    assert_eq!(c.full_disk_retry, Duration::from_secs(5));
    assert_eq!(c.ai_system_prompt, None);
    assert_eq!(c.ai_timeout, Duration::from_secs(120));
    assert_eq!((c.ai_requests_per_hour, c.ai_context_bytes), (60, 8 << 20));
}

#[test]
fn every_setting_is_named_by_one_rule() {
    let all = settings();
    assert_eq!(all.len(), 47);
    for s in &all {
        assert_eq!(s.flag, format!("--{}", s.key.replace('_', "-")));
        assert_eq!(s.env, format!("MESSGO_{}", s.key.to_uppercase()));
        assert!(!s.help.is_empty(), "{} has no help", s.key);
    }
    let secrets: Vec<_> = all.iter().filter_map(Setting::file_env).collect();
    assert_eq!(secrets, ["MESSGO_DATABASE_FILE", "MESSGO_AI_KEY_FILE"]);
}

#[test]
fn registration_is_open_on_loopback_and_by_invite_beyond_unless_set() {
    let mode = |layers: Vec<ConfigLayer>| Config::resolve(layers).unwrap().registration_mode();
    let (open, why) = mode(vec![]);
    assert_eq!(open, Registration::Open);
    assert!(why.contains("loopback"), "{why}");
    let (invite, why) = mode(vec![flags(&["--bind", "0.0.0.0:8080"])]);
    assert_eq!(invite, Registration::Invite);
    assert!(
        why.contains("0.0.0.0, not loopback") && why.contains("--registration open"),
        "{why}"
    );
    let (toml, _) = ConfigLayer::from_toml("registration = \"open\"").unwrap();
    let (open, why) = mode(vec![toml, flags(&["--bind", "[::]:8080"])]);
    assert_eq!(
        (open, why.as_str()),
        (Registration::Open, "set by --registration")
    );
    let (closed, _) = ConfigLayer::from_env(env(&[("MESSGO_REGISTRATION", "closed")])).unwrap();
    assert_eq!(mode(vec![closed]).0, Registration::Closed);
    let c = Config::resolve([flags(&["--invites-by", "operator"])]).unwrap();
    assert_eq!(c.invites_by, InvitesBy::Operator);
    assert_eq!(Config::default().invites_by, InvitesBy::Users);
    let err = error_of(flags(&["--registration", "maybe"]));
    assert!(err.contains("is not open, invite or closed"), "{err}");
}

#[test]
fn secrets_come_from_files_and_are_redacted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    std::fs::write(&path, "postgres://me:hunter2@localhost/db\n").unwrap();
    let (layer, _) =
        ConfigLayer::from_env(env(&[("MESSGO_DATABASE_FILE", path.to_str().unwrap())])).unwrap();
    assert!(!format!("{layer:?}").contains("hunter2"));
    let c = Config::resolve([layer]).unwrap();
    assert_eq!(
        c.database.as_deref(),
        Some("postgres://me:hunter2@localhost/db")
    );
    let shown = format!("{c:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("postgres://me:***@localhost/db"), "{shown}");

    let key = dir.path().join("key");
    std::fs::write(&key, "sk-from-file\n").unwrap();
    let (ai, _) = ConfigLayer::from_env(env(&[
        ("MESSGO_AI_URL", "http://127.0.0.1:11434/v1/"),
        ("MESSGO_AI_MODEL", "llama3"),
        ("MESSGO_AI_KEY_FILE", key.to_str().unwrap()),
    ]))
    .unwrap();
    let c = Config::resolve([ai]).unwrap();
    let ai = c.ai.as_ref().unwrap();
    assert_eq!(ai.url, "http://127.0.0.1:11434/v1");
    assert_eq!(ai.key.as_deref(), Some("sk-from-file"));
    assert!(!format!("{c:?}").contains("sk-from-file"));

    let (both, _) = ConfigLayer::from_env(env(&[
        ("MESSGO_DATABASE_FILE", "/nonexistent/is/not/read"),
        ("MESSGO_DATABASE", "direct.db"),
    ]))
    .unwrap();
    let c = Config::resolve([both]).unwrap();
    assert_eq!(
        c.database.as_deref(),
        Some("direct.db"),
        "the variable wins"
    );
    let missing = ConfigLayer::from_env(env(&[("MESSGO_AI_KEY_FILE", "/nonexistent/key")]));
    assert!(missing
        .unwrap_err()
        .to_string()
        .contains("/nonexistent/key"));
}

fn error_of(layer: ConfigLayer) -> String {
    Config::resolve([layer]).unwrap_err().to_string()
}

#[test]
fn bad_values_are_named_with_where_they_came_from() {
    let (lots, _) = ConfigLayer::from_env(env(&[("MESSGO_MAX_BODY_BYTES", "lots")])).unwrap();
    let err = error_of(lots);
    assert!(
        err.starts_with("max_body_bytes: 'lots' is not a whole number") && err.contains("MESSGO_"),
        "{err}"
    );
    let err = error_of(flags(&["--kdf-iterations", "1000"]));
    assert!(
        err.contains("kdf_iterations: must be between") && err.contains("--kdf-iterations"),
        "{err}"
    );
    let (soon, _) = ConfigLayer::from_toml("session_idle = \"soon\"").unwrap();
    let err = error_of(soon);
    assert!(
        err.contains("session_idle") && err.contains("not a duration") && err.contains("toml"),
        "{err}"
    );
    let err = error_of(flags(&["--retention", "73h"]));
    assert!(
        err.contains("retention") && err.contains("72 hours"),
        "{err}"
    );
    let shorter = flags(&["--retention", "5s"]);
    assert_eq!(
        Config::resolve([shorter]).unwrap().retention,
        Duration::from_secs(5)
    );
    for (args, key) in [
        (&["--messages-per-minute", "0"][..], "messages_per_minute"),
        (&["--session-idle", "59s"], "session_idle"),
        (&["--sweep-interval", "10ms"], "sweep_interval"),
        (&["--max-blob-bytes", "1"], "max_blob_bytes"),
        (&["--ai-context-bytes", "10"], "ai_context_bytes"),
        (&["--bus", "redis://x"], "bus"),
        (&["--bind", "nowhere"], "bind"),
        (&["--behind-tls-proxy=maybe"], "behind_tls_proxy"),
        (&["--ai-model", "m"], "ai_url"),
        (&["--ai-url", "http://x/v1"], "ai_model"),
        (&["--ai-url", "ftp://x", "--ai-model", "m"], "ai_url"),
        (&["--tls-cert", "/etc/messgo/cert.pem"], "tls_key"),
        (&["--tls-key", "/etc/messgo/key.pem"], "tls_cert"),
    ] {
        let err = error_of(flags(args));
        assert!(err.starts_with(&format!("{key}: ")), "{args:?}: {err}");
    }
    let err = ConfigLayer::from_toml("bind = [1]")
        .unwrap_err()
        .to_string();
    assert!(err.contains("bind: must be a single value"), "{err}");
}

/// The README's table is generated from the declarations; `UPDATE_README=1 cargo test
/// -p messgo-server --lib config` writes it.
#[test]
fn readme_table_matches_the_declarations() {
    const BEGIN: &str = "<!-- settings: begin -->\n";
    const END: &str = "<!-- settings: end -->";
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md");
    let readme = std::fs::read_to_string(path).unwrap();
    let start = readme.find(BEGIN).expect("README.md marks the table") + BEGIN.len();
    let end = start + readme[start..].find(END).expect("README.md ends the table");
    let expected = readme_table();
    if readme[start..end] == expected {
        return;
    }
    if std::env::var_os("UPDATE_README").is_some_and(|v| v == "1") {
        let updated = format!("{}{expected}{}", &readme[..start], &readme[end..]);
        std::fs::write(path, updated).unwrap();
        return;
    }
    panic!(
        "README.md's table of settings is not the one the declarations make; \
         run `UPDATE_README=1 cargo test -p messgo-server --lib config` or paste:\n\n{expected}"
    );
}

#[test]
fn tls_files_come_together_and_the_deploy_example_resolves() {
    assert!(Config::default().tls.is_none());
    let c = Config::resolve([flags(&["--tls-cert", "/c.pem", "--tls-key", "/k.pem"])]).unwrap();
    let tls = c.tls.expect("both files given");
    assert_eq!(
        (tls.cert, tls.key),
        (PathBuf::from("/c.pem"), PathBuf::from("/k.pem"))
    );
    // deploy/messgo.toml, as an operator copies it: every key known, every value valid.
    let (layer, unknown) =
        ConfigLayer::from_toml(include_str!("../../../../deploy/messgo.toml")).unwrap();
    assert!(unknown.is_empty(), "unknown keys: {unknown:?}");
    let c = Config::resolve([layer]).unwrap();
    assert!(c.tls.is_some() && c.public_url.is_some());
    assert_eq!(c.data_dir, PathBuf::from("/var/lib/messgo"));
}

#[test]
fn sizes_read_with_or_without_a_unit() {
    assert_eq!(values::size("0"), Ok(0));
    assert_eq!(values::size("1048576"), Ok(1 << 20));
    assert_eq!(values::size("256MiB"), Ok(256 << 20));
    assert_eq!(values::size("2 GiB"), Ok(2 << 30));
    assert_eq!(values::size("64kb"), Ok(64 << 10));
    for bad in ["", "MiB", "1.5GiB", "-1", "12 parsecs", "99999999999TiB"] {
        assert!(values::size(bad).is_err(), "{bad}");
    }
    assert_eq!(Config::default().ready_min_free_disk, 256 << 20);
}
