//! Who and what the chosen scenarios need, made before any of them runs: enough
//! users for the largest, the 1:1 pairs connected with their direct chats, and the
//! groups (user 0 is every group's admin, connected to each member).

use indicatif::ProgressBar;

use super::args::{BenchArgs, Scenario};
use super::setup::{self, ChatPlan, User};
use super::wire::Peer;
use super::BenchError;

pub struct Population {
    pub users: Vec<User>,
    /// One per 1:1 pair (latency scenario).
    pub direct: Vec<ChatPlan>,
    /// One per group size, smallest first.
    pub groups: Vec<ChatPlan>,
}

impl Population {
    pub async fn set_up(
        args: &BenchArgs,
        base: &str,
        progress: &ProgressBar,
    ) -> Result<Population, BenchError> {
        let users = setup::users(args.peer, base, rand::random(), size(args), progress).await?;
        let pairs = pairs(args);
        if args.peer == Peer::Messgo {
            let links = [pairs.clone(), admin_links(args, &pairs)].concat();
            setup::connect(&users, &links, progress).await?;
        }
        let direct = setup::direct_chats(args.peer, &users, &pairs).await?;
        let mut groups = Vec::new();
        if args.wants(Scenario::Fanout) || args.wants(Scenario::Reconnect) {
            progress.set_message("creating groups");
            for size in group_sizes(args) {
                groups.push(setup::group(args.peer, &users, (0..size).collect()).await?);
            }
        }
        Ok(Population {
            users,
            direct,
            groups,
        })
    }

    /// The group of `size` members.
    pub fn group(&self, size: usize) -> &ChatPlan {
        self.groups
            .iter()
            .find(|g| g.members.len() == size)
            .expect("a group of every --groups size is made in set_up")
    }

    /// The largest group.
    pub fn largest_group(&self) -> &ChatPlan {
        self.groups
            .iter()
            .max_by_key(|g| g.members.len())
            .expect("set_up makes a group when the reconnect scenario is chosen")
    }
}

/// Users needed: the most any chosen scenario needs at once.
fn size(args: &BenchArgs) -> usize {
    let mut population = 0;
    if args.wants(Scenario::Latency) {
        population = population.max(2 * args.pairs);
    }
    if args.wants(Scenario::Fanout) || args.wants(Scenario::Reconnect) {
        population = population.max(args.largest_group().max(2));
    }
    if args.wants(Scenario::Idle) {
        population = population.max(args.idle.div_ceil(100).max(1));
    }
    population
}

/// The 1:1 pairs: users 2i and 2i + 1.
fn pairs(args: &BenchArgs) -> Vec<(usize, usize)> {
    if args.wants(Scenario::Latency) {
        (0..args.pairs).map(|i| (2 * i, 2 * i + 1)).collect()
    } else {
        vec![]
    }
}

/// The groups' admin (user 0) with every member it is not already paired with.
fn admin_links(args: &BenchArgs, pairs: &[(usize, usize)]) -> Vec<(usize, usize)> {
    if args.wants(Scenario::Fanout) || args.wants(Scenario::Reconnect) {
        (1..args.largest_group())
            .filter(|&m| !pairs.contains(&(0, m)))
            .map(|m| (0, m))
            .collect()
    } else {
        vec![]
    }
}

/// The group sizes to make: each --groups size for the fan-out, else only the
/// largest for the reconnect storm.
fn group_sizes(args: &BenchArgs) -> Vec<usize> {
    let mut sizes = if args.wants(Scenario::Fanout) {
        args.groups.clone()
    } else {
        vec![args.largest_group()]
    };
    sizes.sort_unstable();
    sizes.dedup();
    sizes
}
