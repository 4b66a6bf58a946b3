//! The cluster's own counters around a step (`GET /api/metrics` of each node given
//! with --spread, served with `--metrics`): bus events received per node and CPU
//! time per delivered message, printed one line per node.

use std::collections::HashMap;

/// One node's counters by name.
pub type Counters = HashMap<String, f64>;

/// Each node's counters now (empty for a node that does not answer).
pub async fn read(nodes: &[String]) -> Vec<Counters> {
    let http = reqwest::Client::new();
    let mut all = Vec::new();
    for node in nodes {
        let url = format!("{}/api/metrics", node.trim_end_matches('/'));
        let text = match http.get(url).send().await {
            Ok(r) if r.status().is_success() => r.text().await.unwrap_or_default(),
            _ => String::new(),
        };
        let counters = text
            .lines()
            .filter_map(|l| l.split_once(' '))
            .filter_map(|(k, v)| Some((k.to_owned(), v.parse().ok()?)))
            .collect();
        all.push(counters);
    }
    all
}

/// Prints what each node did between `before` and `after`, against the `delivered`
/// messages the generator saw in that time.
pub fn print(rate: u32, delivered: u64, before: &[Counters], after: &[Counters]) {
    let get = |c: &Counters, k: &str| c.get(k).copied().unwrap_or(0.0);
    let mut cpu_total = 0.0;
    for (i, (b, a)) in before.iter().zip(after).enumerate() {
        let d = |k: &str| get(a, k) - get(b, k);
        cpu_total += d("cpu_seconds");
        eprintln!(
            "cluster {rate}/s node {i}: bus_received {:.0} bus_sent {:.0} socket_frames {:.0} cpu_s {:.2} rss_mib {:.1}",
            d("bus_received"),
            d("bus_sent"),
            d("socket_frames"),
            d("cpu_seconds"),
            get(a, "rss_bytes") / 1048576.0
        );
    }
    let per = if delivered > 0 {
        cpu_total * 1e6 / delivered as f64
    } else {
        0.0
    };
    eprintln!(
        "cluster {rate}/s nodes {}: delivered {delivered} cpu_s {cpu_total:.2} cpu_us_per_delivered {per:.1}",
        before.len()
    );
}
