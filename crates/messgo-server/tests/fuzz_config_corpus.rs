//! Replays `fuzz/corpus/config/` (the `config` fuzz target's inputs: `messgo.toml`
//! files) through the target's own check on stable, so a found input stays fixed in
//! `scripts/test`. The other targets are replayed by messgo-proto's fuzz_corpus test.

use std::fs;
use std::path::Path;

use messgo_server::config::MAX_RETENTION;
use messgo_server::{Config, ConfigLayer};

include!("../../../fuzz/checks/config.rs");

/// A missing or empty corpus fails, so the replay cannot pass by finding nothing.
#[test]
fn config() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/config");
    let entries = fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut replayed = 0;
    for entry in entries {
        let path = entry.expect("a corpus entry").path();
        let data = fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        // Name the input that broke, so it can be read and run again.
        let outcome = std::panic::catch_unwind(|| check_config(&data));
        assert!(outcome.is_ok(), "config: {} fails", path.display());
        replayed += 1;
    }
    assert!(replayed > 0, "{} has no inputs", dir.display());
}
