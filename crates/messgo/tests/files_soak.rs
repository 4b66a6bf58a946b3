//! The files soak in miniature (the full one is `scripts/soak --files`: 20 clients ×
//! 100 MiB): two clients upload 2 MiB each in pieces and download it back at once
//! through the real binary; every byte comes back and the memory is reported.

use std::process::Command;

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_messgo");

#[test]
fn two_clients_move_two_mib_each_and_the_memory_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("files.json");
    let out = Command::new(BIN)
        .args([
            "files-soak",
            "--clients",
            "2",
            "--mib",
            "2",
            "--piece-mib",
            "1",
        ])
        .arg("--json")
        .arg(&json)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("peak (VmHWM)"), "{stdout}");
    let report: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["all_identical"], true, "{report}");
    assert_eq!(report["clients"], 2);
    assert_eq!(report["file_bytes"], 2 << 20);
    let idle = report["idle_rss_bytes"].as_u64().unwrap();
    let peak = report["peak_rss_bytes"].as_u64().unwrap();
    assert!(idle > 0 && peak >= idle, "{report}");
}
