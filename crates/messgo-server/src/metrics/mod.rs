//! Prometheus metrics: this node's totals, served as text on `--metrics-bind`'s own
//! address (`http/metrics.rs`), never on the public one.
//!
//! Totals only. No label ever names a user, a chat, a session or an address: a label
//! value is a `&'static str` from one of the fixed enums below ([`Refused`],
//! [`Reclaimed`], the status classes), so nothing a request carries can become one.
//!
//! Why `prometheus-client` and not the `metrics` crate with its Prometheus exporter:
//! `metrics` records through one process-wide recorder, a global, which the layer
//! rules forbid (everything is passed in at start) and which would mix the counts of
//! the several servers one test process runs. A `prometheus-client` registry is a
//! value, one per server, and its metrics are cheap clones (an `Arc` each) handed to
//! the parts that record.

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;

mod node;
pub use node::{Node, NodeCounts};

/// A label: one fixed key and one fixed value, both in the code.
pub type Label = [(&'static str, &'static str); 1];

/// Why a request or a frame was refused for its rate or count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The flood brake: requests per address per second (`http/brake.rs`).
    Requests,
    /// Connections per address, closed unread (`http/listener.rs`).
    Connections,
    /// Failed logins per username or per address.
    Login,
    /// Registrations per address.
    Register,
    /// Connection requests per account.
    ConnectionRequests,
    /// Messages per account.
    Messages,
    /// Uploads per account per hour.
    Uploads,
    /// Questions to the assistant per account.
    Assistant,
    /// Sockets per account or per address.
    Sockets,
}

impl Refused {
    pub const ALL: [Refused; 9] = [
        Refused::Requests,
        Refused::Connections,
        Refused::Login,
        Refused::Register,
        Refused::ConnectionRequests,
        Refused::Messages,
        Refused::Uploads,
        Refused::Assistant,
        Refused::Sockets,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Refused::Requests => "requests",
            Refused::Connections => "connections",
            Refused::Login => "login",
            Refused::Register => "register",
            Refused::ConnectionRequests => "connection_requests",
            Refused::Messages => "messages",
            Refused::Uploads => "uploads",
            Refused::Assistant => "assistant",
            Refused::Sockets => "sockets",
        }
    }
}

/// What reclaimed bytes from the database files: the periodic sweep, or the erasure
/// a deletion runs at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reclaimed {
    Sweep,
    Erasure,
}

impl Reclaimed {
    pub fn name(self) -> &'static str {
        match self {
            Reclaimed::Sweep => "sweep",
            Reclaimed::Erasure => "erasure",
        }
    }
}

/// The class of an HTTP status, the only thing recorded of a response.
pub fn status_class(status: u16) -> &'static str {
    match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

/// A SQLite writer's group commits: jobs per commit and how long each took. Owned
/// by the store (`store/writer.rs` records), registered here.
#[derive(Debug, Clone)]
pub struct CommitStats {
    pub jobs: Histogram,
    pub seconds: Histogram,
}

impl Default for CommitStats {
    fn default() -> Self {
        CommitStats {
            jobs: Histogram::new(batch_buckets()),
            seconds: Histogram::new(latency_buckets()),
        }
    }
}

/// 1 to 1024: a group commit and a message batch both hold at most 1024.
fn batch_buckets() -> impl Iterator<Item = f64> {
    exponential_buckets(1.0, 2.0, 11)
}

/// 100 µs to about 3 s.
fn latency_buckets() -> impl Iterator<Item = f64> {
    exponential_buckets(0.0001, 2.0, 16)
}

/// Every metric a part records, each a cheap handle; built once at start.
#[derive(Debug, Clone)]
pub struct Metrics {
    /// TCP connections open on the public listener.
    pub connections: Gauge,
    /// WebSockets open.
    pub sockets: Gauge,
    /// Messages stored (a resend of a stored one is not counted again).
    pub accepted: Counter,
    /// Chat messages written to sockets (each recipient socket counts once).
    pub delivered: Counter,
    /// The message pipeline's batches (`messages/pipeline/append.rs`).
    pub message_batch: CommitStats,
    /// Sweeps of expired data, compaction included.
    pub sweep_seconds: Histogram,
    pub reclaimed: Family<Label, Counter>,
    pub refused: Family<Label, Counter>,
    /// Questions to the assistant taken (refused ones are in `refused`).
    pub assistant_requests: Counter,
    pub responses: Family<Label, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            connections: Gauge::default(),
            sockets: Gauge::default(),
            accepted: Counter::default(),
            delivered: Counter::default(),
            message_batch: CommitStats::default(),
            sweep_seconds: Histogram::new(exponential_buckets(0.001, 4.0, 10)),
            reclaimed: Family::default(),
            refused: Family::default(),
            assistant_requests: Counter::default(),
            responses: Family::default(),
        }
    }
}

impl Metrics {
    pub fn refused(&self, kind: Refused) {
        self.refused.get_or_create(&[("kind", kind.name())]).inc();
    }

    pub fn reclaimed(&self, by: Reclaimed, bytes: u64) {
        self.reclaimed
            .get_or_create(&[("by", by.name())])
            .inc_by(bytes);
    }

    pub fn response(&self, status: u16) {
        self.responses
            .get_or_create(&[("class", status_class(status))])
            .inc();
    }

    /// Counts an open connection or socket until the returned guard drops.
    pub fn open(gauge: &Gauge) -> Open {
        gauge.inc();
        Open(gauge.clone())
    }

    /// The registry to scrape: these metrics, the stores' commits, and `node`'s
    /// counters read at each scrape.
    pub fn registry(&self, stores: Vec<(&'static str, CommitStats)>, node: Node) -> Registry {
        let mut r = Registry::default();
        r.register(
            "messgo_connections_open",
            "TCP connections open",
            self.connections.clone(),
        );
        r.register(
            "messgo_sockets_open",
            "WebSockets open",
            self.sockets.clone(),
        );
        r.register(
            "messgo_messages_accepted",
            "Messages stored",
            self.accepted.clone(),
        );
        r.register(
            "messgo_messages_delivered",
            "Chat messages written to sockets",
            self.delivered.clone(),
        );
        r.register(
            "messgo_message_batch_size",
            "Messages per batch of the message pipeline",
            self.message_batch.jobs.clone(),
        );
        r.register(
            "messgo_message_batch_seconds",
            "Time to store one batch of the message pipeline",
            self.message_batch.seconds.clone(),
        );
        r.register(
            "messgo_sweep_seconds",
            "Time of one sweep of expired data, compaction included",
            self.sweep_seconds.clone(),
        );
        r.register(
            "messgo_reclaimed_bytes",
            "Bytes the database files shrank by when compacted, by what compacted (sweep, erasure)",
            self.reclaimed.clone(),
        );
        r.register(
            "messgo_refusals",
            "Requests or frames refused for a rate or count limit, by kind",
            self.refused.clone(),
        );
        r.register(
            "messgo_assistant_requests",
            "Questions to the assistant taken",
            self.assistant_requests.clone(),
        );
        r.register(
            "messgo_http_responses",
            "HTTP responses by status class",
            self.responses.clone(),
        );
        r.register_collector(Box::new(Commits(stores)));
        r.register_collector(Box::new(node));
        // Every kind present from the start, at 0: a rate over a missing series is
        // no rate at all.
        for kind in Refused::ALL {
            drop(self.refused.get_or_create(&[("kind", kind.name())]));
        }
        for by in [Reclaimed::Sweep, Reclaimed::Erasure] {
            drop(self.reclaimed.get_or_create(&[("by", by.name())]));
        }
        r
    }
}

/// An open connection or socket, counted while it lives.
#[derive(Debug)]
pub struct Open(Gauge);

impl Drop for Open {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// The SQLite writers' commits, one series per store (`database`: main or
/// attachments); none on PostgreSQL, where each write is its own transaction.
#[derive(Debug)]
struct Commits(Vec<(&'static str, CommitStats)>);

impl Collector for Commits {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        if self.0.is_empty() {
            return Ok(());
        }
        let (jobs, seconds) = ("messgo_store_commit_size", "messgo_store_commit_seconds");
        let mut e = encoder.encode_descriptor(
            jobs,
            "Writes per group commit of a SQLite writer",
            None,
            MetricType::Histogram,
        )?;
        for (name, stats) in &self.0 {
            stats
                .jobs
                .encode(e.encode_family(&[("database", *name)])?)?;
        }
        let mut e = encoder.encode_descriptor(
            seconds,
            "Time of one group commit of a SQLite writer",
            None,
            MetricType::Histogram,
        )?;
        for (name, stats) in &self.0 {
            stats
                .seconds
                .encode(e.encode_family(&[("database", *name)])?)?;
        }
        Ok(())
    }
}
