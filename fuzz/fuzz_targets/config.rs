//! `messgo.toml` through the server's own config module. The module is compiled here on
//! its own (it needs only clap, toml and humantime), so the rest of messgo-server, sqlx
//! and axum among it, is not instrumented. The check is fuzz/checks/config.rs, which
//! crates/messgo-server/tests/fuzz_config_corpus.rs replays on stable.
#![no_main]

// The same source files as the server's `config` module, not a copy.
#[path = "../../crates/messgo-server/src"]
#[allow(
    dead_code,
    unused_imports,
    reason = "the README table and the flags are not fuzzed"
)]
mod server {
    pub mod config;
}

use server::config::{Config, ConfigLayer, MAX_RETENTION};

include!("../checks/config.rs");

libfuzzer_sys::fuzz_target!(|data: &[u8]| check_config(data));
