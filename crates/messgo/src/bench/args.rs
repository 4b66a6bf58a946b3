//! The generator's command line: which scenarios, at what scale.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::wire::Peer;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Scenario {
    /// Ramp to --idle sockets and read the server's memory per connection.
    Idle,
    /// 1:1 send → deliver latency: the highest clean rate by bisection, then fixed rates.
    Latency,
    /// One sender to groups of each --groups size.
    Fanout,
    /// --reconnect clients drop, miss messages, and return at once.
    Reconnect,
}

#[derive(Args, Clone, Debug)]
pub struct BenchArgs {
    /// The server's origin.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// Which protocol the server speaks.
    #[arg(long, value_enum, default_value = "messgo")]
    pub peer: Peer,
    /// Scenarios to run, in this order.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "idle,latency,fanout,reconnect"
    )]
    pub scenarios: Vec<Scenario>,
    /// The server's process id, to read its memory (idle scenario).
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// Idle sockets to hold open at once.
    #[arg(long, default_value_t = 19_000)]
    pub idle: usize,
    /// The 1:1 search's first offered rate (messages/s). It doubles while steps
    /// pass and halves while they fail, then bisects.
    #[arg(long, default_value_t = 5_000)]
    pub start_rate: u32,
    /// The lowest 1:1 rate the search tries.
    #[arg(long, default_value_t = 1)]
    pub min_rate: u32,
    /// The highest 1:1 rate the search tries.
    #[arg(long, default_value_t = 200_000)]
    pub max_rate: u32,
    /// Both searches stop when the failing rate is within this factor of the
    /// passing one.
    #[arg(long, default_value_t = 1.03, value_parser = at_least_one)]
    pub precision: f64,
    /// Most steps each search runs.
    #[arg(long, default_value_t = 12)]
    pub max_steps: usize,
    /// 1:1 rates measured after the search, each reported with p50/p99/p99.9 (half
    /// the headline is always added).
    #[arg(long, value_delimiter = ',', default_value = "1000")]
    pub at_rates: Vec<u32>,
    /// Seconds each rate is held.
    #[arg(long, default_value_t = 5.0)]
    pub step_secs: f64,
    /// 1:1 chats sending at once (each its own pair of users and sockets).
    #[arg(long, default_value_t = 200)]
    pub pairs: usize,
    /// Group sizes for the fan-out scenario (members, the sender included).
    #[arg(long, value_delimiter = ',', default_value = "10,100,1000")]
    pub groups: Vec<usize>,
    /// Deliveries per second each group's search offers first.
    #[arg(long, default_value_t = 200_000.0, value_parser = at_least_one)]
    pub fanout_start: f64,
    /// Most deliveries per second any group's search offers.
    #[arg(long, default_value_t = 4_000_000.0, value_parser = at_least_one)]
    pub fanout_max: f64,
    /// Most messages per second offered to a group: a small group at the full
    /// delivery rate would measure the durable write path instead of fan-out.
    #[arg(long, default_value_t = 5_000.0, value_parser = at_least_one)]
    pub fanout_message_cap: f64,
    /// Seconds each fan-out runs.
    #[arg(long, default_value_t = 3.0)]
    pub fanout_secs: f64,
    /// Clients in the reconnect storm (sockets of the largest group's members).
    #[arg(long, default_value_t = 10_000)]
    pub reconnect: usize,
    /// Messages each returning client missed.
    #[arg(long, default_value_t = 10)]
    pub missed: usize,
    /// Node origins to open the sockets on, in turn (a cluster); setup still goes
    /// through --url. Unset: every socket on --url.
    #[arg(long, value_delimiter = ',')]
    pub spread: Vec<String>,
    /// Each node's metrics (`http://ADDR/metrics`, served with `--metrics-bind`):
    /// their counters are printed around the fixed-rate steps.
    #[arg(long, value_delimiter = ',')]
    pub node_metrics: Vec<String>,
    /// Write the results as JSON here.
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,
    /// Previous runs' JSON (the peers') to compare with, side by side; repeatable.
    #[arg(long, value_name = "PATH")]
    pub compare: Vec<PathBuf>,
    /// Draw every system's p99 against the offered 1:1 rate as an SVG here.
    #[arg(long, value_name = "PATH")]
    pub chart: Option<PathBuf>,
    /// Print the tables of a saved run (its JSON) instead of running.
    #[arg(long, value_name = "PATH")]
    pub report: Option<PathBuf>,
    /// Exit with status 3 unless every target is met.
    #[arg(long)]
    pub require_targets: bool,
}

impl BenchArgs {
    /// Whether `scenario` is among those to run.
    pub fn wants(&self, scenario: Scenario) -> bool {
        self.scenarios.contains(&scenario)
    }

    /// The largest group size asked for (0 if none).
    pub fn largest_group(&self) -> usize {
        self.groups.iter().copied().max().unwrap_or(0)
    }
}

/// A rate of at least one a second.
fn at_least_one(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 1.0 => Ok(v),
        _ => Err(format!("`{s}` is not a rate of at least 1 per second")),
    }
}

#[cfg(test)]
mod tests {
    use super::at_least_one;

    #[test]
    fn rates_below_one_per_second_are_refused_with_a_reason() {
        assert_eq!(at_least_one("2000000"), Ok(2_000_000.0));
        assert_eq!(at_least_one("1"), Ok(1.0));
        for bad in ["0.5", "0", "-3", "NaN", "inf", "fast"] {
            let e = at_least_one(bad).unwrap_err();
            assert!(e.contains(bad), "{e}");
        }
    }
}
