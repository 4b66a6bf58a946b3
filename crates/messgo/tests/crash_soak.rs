//! The short crash soak (the long one is `scripts/soak --crash`): a few kill -9
//! trials under load and a few torn writes, through the real binary, must lose and
//! duplicate nothing that was acknowledged, and every torn trial must recover whole.
//! The torn trials cut the newest file of all (the WAL, or the database file after a
//! checkpoint) and the newest message log segment in turn; a segment is cut anywhere,
//! so acknowledged messages whose record it took come back served as deleted, which
//! must be the cut bucket's newest and nothing else.

use std::process::Command;

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_messgo");

#[test]
fn kill_and_torn_write_trials_lose_and_duplicate_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("crash.json");
    let out = Command::new(BIN)
        .args(["crash-soak", "--trials", "4", "--torn-trials", "3"])
        .args(["--cut-file", ".seg,any"])
        .args(["--direct", "2", "--groups", "2", "--group-size", "3"])
        .args(["--rate", "200", "--min-secs", "0.2", "--max-secs", "1.2"])
        .arg("--keep")
        .arg(dir.path().join("data"))
        .arg("--json")
        .arg(&json)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let report: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();

    let kills = report["kill"].as_array().unwrap();
    assert_eq!(kills.len(), 4);
    let sum = |field: &str| -> u64 {
        kills
            .iter()
            .map(|k| k["tally"][field].as_u64().unwrap())
            .sum()
    };
    assert!(sum("acked") > 0, "the load sent something: {stdout}");
    assert_eq!(sum("lost"), 0, "{stdout}");
    assert_eq!(sum("duplicated"), 0, "{stdout}");
    assert_eq!(sum("seq_mismatch") + sum("holes") + sum("corrupt"), 0);
    assert_eq!(sum("deleted"), 0, "served as deleted: {stdout}");
    let again = &report["final_check"];
    assert_eq!(again["lost"].as_u64(), Some(0));
    assert_eq!(again["duplicated"].as_u64(), Some(0));
    assert!(again["acked"].as_u64().unwrap() >= sum("acked"));

    let torn = report["torn"].as_array().unwrap();
    assert_eq!(torn.len(), 3);
    // Trials 1 and 3 cut a segment, unless the kill came before the first commit
    // (on a busy machine): then there is no segment yet, and nothing was acked.
    for t in [&torn[0], &torn[2]] {
        let seg = t["cut"]["file"].as_str().unwrap().ends_with(".seg");
        assert!(seg || t["tally"]["acked"].as_u64() == Some(0), "{t}");
    }
    for t in torn {
        let file = t["cut"]["file"].as_str().unwrap();
        assert!(!file.ends_with("keys"), "{t}");
        assert!(t["start_failed"].is_null(), "{t}");
        let cut = &t["cut"];
        assert!(cut["floor"].as_u64() <= cut["at"].as_u64());
        assert!(cut["at"].as_u64() <= cut["len"].as_u64());
        for field in ["duplicated", "holes", "corrupt", "seq_mismatch", "unknown"] {
            assert_eq!(t["tally"][field].as_u64(), Some(0), "{field}: {t}");
        }
        // What the cut took is the newest of its file, and only what it could take.
        for field in ["out_of_order", "stray_deleted", "vanished"] {
            assert_eq!(t[field].as_u64(), Some(0), "{field}: {t}");
        }
        if cut["at"] == cut["len"] {
            assert_eq!(t["tally"]["lost"].as_u64(), Some(0), "{t}");
        }
        assert_eq!(t["not_writable"].as_u64(), Some(0), "{t}");
    }
}
