//! `messgo bench` as the bench script runs it, at a small scale: against the real
//! server, and against the Socket.IO peer through its adapter. Each run must finish,
//! report every scenario, and lose nothing where nothing should be lost.

mod common;

use std::path::Path;
use std::process::Command;

use common::{start, BIN};

/// One bench at a time: two at once on a 2-core machine measure each other (a run
/// beside the Socket.IO peer's once stalled 115 ms and halved its search).
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Starts the server `cmd`, runs a small bench of every scenario against it as
/// `peer`, stops the server and returns the bench's JSON report.
fn bench(cmd: Command, peer: &str) -> serde_json::Value {
    // A panicking run poisons the lock; the next one measures all the same.
    let _alone = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let (mut server, url) = start(cmd);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = dir.path().join("report.json");
    let (url, pid) = (url.as_str(), server.id());
    let status = Command::new(BIN)
        .args([
            "bench",
            "--url",
            url,
            "--peer",
            peer,
            "--server-pid",
            &pid.to_string(),
        ])
        .args([
            "--idle",
            "60",
            "--start-rate",
            "100",
            "--max-rate",
            "200",
            "--max-steps",
            "2",
            "--at-rates",
            "50",
            "--step-secs",
            "1",
            "--pairs",
            "4",
        ])
        .args([
            "--groups",
            "3,6",
            "--fanout-start",
            "150",
            "--fanout-max",
            "300",
            "--fanout-secs",
            "1",
        ])
        .args(["--reconnect", "25", "--missed", "3", "--json"])
        .arg(&out)
        .status()
        .expect("the bench starts");
    server.kill().expect("the server is still running");
    server.wait().expect("the server is our child");
    assert!(status.success(), "bench failed: {status}");
    let json = std::fs::read_to_string(out).expect("the bench wrote its JSON");
    serde_json::from_str(&json).expect("the bench's JSON parses")
}

fn check_common(r: &serde_json::Value) {
    assert_eq!(r["idle"]["connections"], 60);
    assert!(
        r["idle"]["bytes_per_connection"].is_u64(),
        "memory read from /proc: {r}"
    );
    let latency = &r["latency"];
    let steps = latency["steps"].as_array().expect("latency steps");
    let fixed = latency["fixed"].as_array().expect("fixed-rate steps");
    assert!(!steps.is_empty() && steps.len() <= 2 * 2, "{latency}");
    assert_eq!(fixed[0]["offered_per_sec"], 50, "the --at-rates step runs");
    for s in steps.iter().chain(fixed) {
        assert_eq!(s["lost"], 0, "{s}");
        assert_eq!(s["sent"], s["delivered"], "{s}");
        assert_eq!(s["sent"], s["acked"], "{s}");
        assert!(s["p99_ms"].as_f64().expect("p99_ms") > 0.0);
    }
    // At these rates a server keeps up: the headline is a rate that was offered.
    let best = latency["best_rate_within_p99"].as_u64();
    let sustained = latency["sustained_rate"]
        .as_u64()
        .expect("kept up with some rate");
    assert!([100, 200].contains(&sustained), "{latency}");
    assert!(best.is_none_or(|b| b <= sustained), "{latency}");
    assert!(
        r["host"]["load_1m"].as_f64().is_some(),
        "load and steal recorded: {r}"
    );
    // Each group runs its own search (at most two steps here) and loses nothing.
    let fanout = r["fanout"].as_array().expect("fan-out steps");
    for members in [3, 6] {
        let n = fanout.iter().filter(|f| f["members"] == members).count();
        assert!((1..=2).contains(&n), "{members}: {fanout:?}");
    }
    for f in fanout {
        assert_eq!(f["lost"], 0, "{f}");
        let offered = f["offered_deliveries_per_sec"].as_f64().expect("offered");
        // The search starts at 150 and doubles or halves: a fresh group's first step
        // has ~75 messages, so its p99 is its slowest one, and one slow first send
        // can fail it (then the second step offers about 75).
        assert!((70.0..=310.0).contains(&offered), "{f}");
        assert_eq!(
            f["delivered"].as_u64().expect("delivered"),
            f["messages"].as_u64().expect("messages")
                * (f["members"].as_u64().expect("members") - 1)
        );
    }
}

#[test]
fn the_bench_measures_messgo_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(BIN);
    cmd.args(["serve", "--bind", "127.0.0.1:0", "--log", "warn"])
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .args([
            "--messages-per-minute",
            "1000000",
            "--register-limit-per-ip",
            "1000000",
        ])
        .args(["--request-limit-per-hour", "1000000"])
        .args(["--requests-per-address", "1000000"])
        // The idle scenario's 60 sockets belong to one account.
        .args(["--sockets-per-account", "1000000"]);
    let report = bench(cmd, "messgo");
    assert_eq!(report["target"], "MessGo");
    check_common(&report);
    // Stored messages come back after a reconnect.
    let r = &report["reconnect"];
    assert_eq!(r["clients"], 25);
    assert_eq!(r["lost"], 0, "{r}");
    assert_eq!(r["delivered"], 25 * 3);
    assert!(r["catch_up_secs"].as_f64().is_some());
}

#[test]
fn the_bench_drives_the_socketio_peer_through_its_adapter() {
    let peer = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../peers/socketio");
    assert!(
        peer.join("node_modules/socket.io").is_dir(),
        "run `npm ci` in peers/socketio (scripts/test does)"
    );
    let mut cmd = Command::new("node");
    cmd.arg("server.js").current_dir(&peer).env("PORT", "0");
    let report = bench(cmd, "socketio");
    assert_eq!(report["target"], "Socket.IO 4 peer");
    check_common(&report);
    // The peer stores nothing: what was sent while its clients were away is gone.
    let r = &report["reconnect"];
    assert_eq!(r["lost"], 25 * 3, "{r}");
    assert!(r["catch_up_secs"].is_null());
}
