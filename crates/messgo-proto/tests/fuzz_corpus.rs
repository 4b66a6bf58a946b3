//! Replays the fuzz corpus (`fuzz/corpus/<target>/`) through the same checks the fuzz
//! targets run (`messgo_proto::fuzzing`), on stable and in seconds, so every input a
//! fuzzer ever found interesting stays fixed in `scripts/test`. The fuzzers themselves
//! run in `scripts/fuzz`, where a nightly toolchain exists.

use std::fs;
use std::path::{Path, PathBuf};

use messgo_proto::fuzzing::TARGETS;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// Runs every file of the target's corpus through its check. A missing or empty
/// corpus fails, so the replay cannot pass by finding nothing to replay.
fn replay(target: &str) {
    let (_, check) = TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .unwrap_or_else(|| panic!("no fuzz target {target} in messgo_proto::fuzzing"));
    let dir = fuzz_dir().join("corpus").join(target);
    let entries = fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut replayed = 0;
    for entry in entries {
        let path = entry.expect("a corpus entry").path();
        let data = fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        // Name the input that broke, so it can be read and run again.
        let outcome = std::panic::catch_unwind(|| check(&data));
        assert!(outcome.is_ok(), "{target}: {} fails", path.display());
        replayed += 1;
    }
    assert!(replayed > 0, "{} has no inputs", dir.display());
}

macro_rules! replays {
    ($($target:ident),* $(,)?) => {
        $(#[test]
        fn $target() {
            replay(stringify!($target));
        })*

        /// Each target has a test here and a fuzz target file, and the other way
        /// round.
        #[test]
        fn every_target_is_replayed_and_fuzzed() {
            let replayed = [$(stringify!($target)),*];
            let listed: Vec<&str> = TARGETS.iter().map(|(name, _)| *name).collect();
            assert_eq!(listed, replayed, "messgo_proto::fuzzing::TARGETS and this file");
            let mut files: Vec<String> = fs::read_dir(fuzz_dir().join("fuzz_targets"))
                .expect("fuzz/fuzz_targets")
                .map(|e| e.expect("an entry").path())
                .filter_map(|p| Some(p.file_stem()?.to_str()?.to_owned()))
                .collect();
            files.sort();
            // `config` fuzzes the server's config module; messgo-server's
            // fuzz_config_corpus test replays it.
            let mut listed = listed;
            listed.push("config");
            listed.sort_unstable();
            assert_eq!(files, listed, "fuzz/fuzz_targets and messgo_proto::fuzzing::TARGETS");
        }
    };
}

replays!(
    client_frame,
    json_bodies,
    base64url,
    connect_key,
    username,
    ids
);
