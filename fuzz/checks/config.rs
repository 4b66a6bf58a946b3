// The check of the `config` fuzz target, included by both fuzz/fuzz_targets/config.rs
// (which compiles the server's config module on its own, so sqlx and axum are not
// instrumented) and crates/messgo-server/tests/fuzz_config_corpus.rs (the stable
// replay of fuzz/corpus/config/). The includer brings `Config`, `ConfigLayer` and
// `MAX_RETENTION` into scope.

/// A `messgo.toml` as the operator wrote it, resolved over the defaults the way
/// `messgo serve` does: it may be refused, never panic, and what resolves stays
/// within every setting's documented bound.
fn check_config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok((layer, unknown)) = ConfigLayer::from_toml(text) else {
        return;
    };
    // What is warned about as unknown was written at the top level of the file.
    let table: toml::Table = text.parse().expect("from_toml read it");
    assert!(unknown.iter().all(|k| table.contains_key(k)), "{unknown:?}");
    let Ok(config) = Config::resolve([layer]) else {
        return;
    };
    assert!(config.retention <= MAX_RETENTION, "retention over the promise");
    assert!((1024..=64 << 20).contains(&config.max_body_bytes));
    assert!((1024..=256 << 20).contains(&config.max_blob_bytes));
    assert!((100_000..=10_000_000).contains(&config.kdf_iterations));
    assert!(config.session_idle >= std::time::Duration::from_secs(60));
    assert!(config.sweep_interval >= std::time::Duration::from_millis(100));
    assert!(config.ai_context_bytes >= 1024);
    let limits = [
        config.login_limit_per_username,
        config.login_limit_per_ip,
        config.register_limit_per_ip,
        config.request_limit_per_hour,
        config.messages_per_minute,
        config.ai_requests_per_hour,
    ];
    assert!(limits.iter().all(|&n| n >= 1), "a limit of zero: {limits:?}");
    // The assistant's key is redacted: it changes nothing in what the config prints.
    if let Some(ai) = &config.ai {
        assert!(ai.url.starts_with("http://") || ai.url.starts_with("https://"));
        assert!(!ai.model.is_empty(), "ai_url set without a model");
        if ai.key.is_some() {
            let mut other = config.clone();
            if let Some(other_ai) = other.ai.as_mut() {
                other_ai.key = Some(String::from("another key"));
            }
            assert_eq!(format!("{config:?}"), format!("{other:?}"), "the key shows");
        }
    }
}
