//! A run's fan-out steps summed up: per group, and over all groups.

use super::{Fanout, Report};

/// The group sizes measured, in the order they ran.
pub(super) fn group_sizes(r: &Report) -> Vec<usize> {
    let mut sizes: Vec<usize> = r.fanout.iter().map(|f| f.members).collect();
    sizes.dedup();
    sizes
}

/// A group's headline step: the fastest that passed the honest rule.
pub(super) fn best_step(r: &Report, members: usize) -> Option<&Fanout> {
    r.fanout
        .iter()
        .filter(|f| f.members == members && f.passed())
        .max_by(|a, b| a.deliveries_per_sec.total_cmp(&b.deliveries_per_sec))
}

/// The headline of the largest group measured: (members, deliveries/s), if a
/// step of it passed.
pub(super) fn largest_group_best(r: &Report) -> Option<(usize, f64)> {
    let members = group_sizes(r).into_iter().max()?;
    best_step(r, members).map(|f| (members, f.deliveries_per_sec))
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
            p999_ms: 2.0,
        }
    }

    #[test]
    fn a_group_is_summed_up_by_its_fastest_passing_step() {
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
            host: None,
            idle: None,
            latency: None,
            reconnect: None,
        };
        assert_eq!(group_sizes(&r), [100, 1000]);
        assert_eq!(best_step(&r, 100).unwrap().deliveries_per_sec, 300.0);
        assert!(best_step(&r, 1000).is_none(), "no step of it passed");
        assert_eq!(largest_group_best(&r), None);
    }
}
