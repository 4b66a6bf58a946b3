//! The counters other parts keep (the bus's, the order stage's) and the process's own
//! use, read at each scrape rather than recorded as they change.

use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;

/// Counters other parts keep, read at each scrape: the bus's, the order stage's,
/// and the process's CPU time and memory.
pub struct Node {
    pub read: Arc<dyn Fn() -> NodeCounts + Send + Sync>,
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Node")
    }
}

/// What [`Node`] reads.
#[derive(Debug, Clone, Copy, Default)]
pub struct NodeCounts {
    pub bus_received: u64,
    pub bus_sent: u64,
    pub socket_frames: u64,
    pub users_present: u64,
    pub holes_given_up: u64,
}

impl Collector for Node {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let c = (self.read)();
        let counters = [
            (
                "messgo_bus_received",
                "Events taken in from other nodes (NATS)",
                c.bus_received,
            ),
            (
                "messgo_bus_sent",
                "Events sent to other nodes (NATS)",
                c.bus_sent,
            ),
            (
                "messgo_socket_frames",
                "Frames queued on this node's sockets",
                c.socket_frames,
            ),
            (
                "messgo_holes_given_up",
                "Gaps in a chat's order given up on after waiting",
                c.holes_given_up,
            ),
        ];
        for (name, help, value) in counters {
            let counter = ConstCounter::new(value);
            counter.encode(encoder.encode_descriptor(
                name,
                help,
                None,
                counter.metric_type(),
            )?)?;
        }
        let present = ConstGauge::new(i64::try_from(c.users_present).unwrap_or(i64::MAX));
        present.encode(encoder.encode_descriptor(
            "messgo_users_present",
            "Users with a socket on this node",
            None,
            present.metric_type(),
        )?)?;
        if let Some(cpu) = process::cpu_seconds() {
            let counter = ConstCounter::new(cpu);
            counter.encode(encoder.encode_descriptor(
                "process_cpu_seconds",
                "User and system CPU time of this process",
                None,
                counter.metric_type(),
            )?)?;
        }
        if let Some(rss) = process::rss_bytes() {
            let gauge = ConstGauge::new(i64::try_from(rss).unwrap_or(i64::MAX));
            gauge.encode(encoder.encode_descriptor(
                "process_resident_memory_bytes",
                "Resident memory of this process",
                None,
                gauge.metric_type(),
            )?)?;
        }
        Ok(())
    }
}

/// The process's own use, from `/proc` (Linux only; absent elsewhere).
mod process {
    /// Linux's USER_HZ: the unit of `/proc/self/stat`'s CPU times, 100 on every
    /// architecture Rust targets there.
    const TICKS_PER_SEC: f64 = 100.0;

    pub fn cpu_seconds() -> Option<f64> {
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        // The command name (field 2) may hold spaces: count fields after its ')'.
        let rest = stat.rsplit_once(')')?.1;
        let fields: Vec<&str> = rest.split_whitespace().collect();
        // utime and stime are fields 14 and 15, the 12th and 13th after the name.
        let utime: f64 = fields.get(11)?.parse().ok()?;
        let stime: f64 = fields.get(12)?.parse().ok()?;
        Some((utime + stime) / TICKS_PER_SEC)
    }

    pub fn rss_bytes() -> Option<u64> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
        let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb * 1024)
    }
}
