//! A run's fan-out steps summed up: per group, and over all groups.

use super::{Fanout, Report};

/// The group sizes measured, in the order they ran.
pub(super) fn group_sizes(r: &Report) -> Vec<usize> {
    let mut sizes: Vec<usize> = r.fanout.iter().map(|f| f.members).collect();
    sizes.dedup();
    sizes
}

/// A group's best step: the fastest that lost nothing, else the fastest.
pub(super) fn best_step(r: &Report, members: usize) -> Option<&Fanout> {
    let steps = || r.fanout.iter().filter(move |f| f.members == members);
    let fastest = |a: &&Fanout, b: &&Fanout| a.deliveries_per_sec.total_cmp(&b.deliveries_per_sec);
    steps()
        .filter(|f| f.lost == 0)
        .max_by(fastest)
        .or_else(|| steps().max_by(fastest))
}

/// The most deliveries per second of a fan-out that lost nothing (the target).
pub(super) fn best_fanout(r: &Report) -> Option<f64> {
    r.fanout
        .iter()
        .filter(|f| f.lost == 0)
        .map(|f| f.deliveries_per_sec)
        .reduce(f64::max)
}

/// The most deliveries per second of any fan-out, late ones included: what a
/// server pushes out per core, for the comparison with the peer.
pub(super) fn peak_fanout(r: &Report) -> Option<f64> {
    r.fanout
        .iter()
        .map(|f| f.deliveries_per_sec)
        .reduce(f64::max)
}

#[cfg(test)]
mod tests {
    use super::super::Machine;
    use super::*;

    fn fan(members: usize, delivered: f64, lost: u64) -> Fanout {
        Fanout {
            members,
            messages: 1,
            offered_deliveries_per_sec: delivered,
            delivered: 1,
            lost,
            cut_off: 0,
            refused: 0,
            deliveries_per_sec: delivered,
            p50_ms: 1.0,
            p99_ms: 2.0,
        }
    }

    #[test]
    fn a_group_is_summed_up_by_its_fastest_clean_step() {
        let r = Report {
            fanout: vec![
                fan(100, 100.0, 0),
                fan(100, 300.0, 0),
                fan(100, 350.0, 7),
                fan(1000, 200.0, 4),
                fan(1000, 150.0, 9),
            ],
            target: "MessGo".into(),
            url: String::new(),
            machine: Machine {
                cpu: String::new(),
                cores: 2,
                kernel: String::new(),
                generator_cpus: String::new(),
            },
            finished_at_unix: 0,
            idle: None,
            latency: None,
            reconnect: None,
        };
        assert_eq!(group_sizes(&r), [100, 1000]);
        assert_eq!(best_step(&r, 100).unwrap().deliveries_per_sec, 300.0);
        assert_eq!(
            best_step(&r, 1000).unwrap().deliveries_per_sec,
            200.0,
            "with no clean step, the fastest, its losses shown"
        );
        assert_eq!(best_fanout(&r), Some(300.0));
    }
}
