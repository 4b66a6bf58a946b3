//! The cluster's own counters around a step (each node's Prometheus `/metrics`, given
//! with --node-metrics, served with `--metrics-bind`): bus events received per node
//! and CPU time per delivered message, printed one line per node.

use std::collections::HashMap;

/// One node's counters by name.
pub type Counters = HashMap<String, f64>;

/// The series read, by the short names printed.
const SERIES: [(&str, &str); 5] = [
    ("messgo_bus_received_total", "bus_received"),
    ("messgo_bus_sent_total", "bus_sent"),
    ("messgo_socket_frames_total", "socket_frames"),
    ("process_cpu_seconds_total", "cpu_seconds"),
    ("process_resident_memory_bytes", "rss_bytes"),
];

/// Each node's counters now (empty for a node that does not answer).
pub async fn read(metrics_urls: &[String]) -> Vec<Counters> {
    let http = reqwest::Client::new();
    let mut all = Vec::new();
    for url in metrics_urls {
        let text = match http.get(url).send().await {
            Ok(r) if r.status().is_success() => r.text().await.unwrap_or_default(),
            _ => String::new(),
        };
        all.push(parse(&text));
    }
    all
}

/// The unlabelled samples of [`SERIES`] in a Prometheus text answer.
fn parse(text: &str) -> Counters {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once(' '))
        .filter_map(|(k, v)| {
            let short = SERIES.iter().find(|(long, _)| *long == k)?.1;
            Some((short.to_owned(), v.parse().ok()?))
        })
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_series_it_prints_from_prometheus_text() {
        let text = "# HELP messgo_bus_received Events.\n# TYPE messgo_bus_received counter\n\
            messgo_bus_received_total 12\nmessgo_bus_sent_total 3\n\
            messgo_http_responses_total{class=\"2xx\"} 9\nprocess_cpu_seconds_total 1.5\n\
            process_resident_memory_bytes 1048576\n# EOF\n";
        let c = parse(text);
        assert_eq!(c.get("bus_received"), Some(&12.0));
        assert_eq!(c.get("bus_sent"), Some(&3.0));
        assert_eq!(c.get("cpu_seconds"), Some(&1.5));
        assert_eq!(c.get("rss_bytes"), Some(&1048576.0));
        assert_eq!(c.len(), 4, "nothing else: {c:?}");
    }
}
