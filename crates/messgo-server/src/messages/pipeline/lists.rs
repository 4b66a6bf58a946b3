//! The lists the batch append binds, in sizes its statements can be prepared once for.
//!
//! Statements are cached by their text, and a statement with a list of N values is a
//! new text for every N: preparing one of thousands of parameters each batch costs
//! more than running it. So every list comes in a few sizes, powers of two.

/// `?, ?, …`: SQLite's anonymous parameters. Numbered ones (`$1`) are looked up
/// by name for every bind, a scan of all of them each time: quadratic in a
/// 5,000-value INSERT.
pub(super) fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// `items` in lists of at most `max` (a power of two), each padded to a power of two
/// by repeating its last item: for lookups and updates, where a repeat changes
/// nothing.
pub(super) fn padded<T: Clone>(items: &[T], max: usize) -> impl Iterator<Item = Vec<T>> + '_ {
    items.chunks(max).map(|part| {
        let mut part = part.to_vec();
        let last = part[part.len() - 1].clone();
        part.resize(part.len().next_power_of_two(), last);
        part
    })
}

/// `items` split into runs whose lengths are powers of two of at most `max`: for
/// inserts, where every item must go in exactly once.
pub(super) fn pow2_runs<T>(mut items: &[T], max: usize) -> impl Iterator<Item = &[T]> {
    std::iter::from_fn(move || {
        if items.is_empty() {
            return None;
        }
        let n = max.min(1 << items.len().ilog2());
        let (run, rest) = items.split_at(n);
        items = rest;
        Some(run)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_come_in_powers_of_two() {
        let lens = |v: Vec<Vec<u32>>| v.iter().map(Vec::len).collect::<Vec<_>>();
        let items: Vec<u32> = (0..300).collect();
        let lists: Vec<Vec<u32>> = padded(&items, 256).collect();
        assert_eq!(lens(lists.clone()), vec![256, 64]);
        assert_eq!(lists[1][..44], items[256..]);
        assert!(
            lists[1][44..].iter().all(|&x| x == 299),
            "padding repeats the last"
        );
        assert_eq!(lens(padded(&items[..1], 256).collect()), vec![1]);

        let runs: Vec<usize> = pow2_runs(&items, 128).map(<[u32]>::len).collect();
        assert_eq!(runs, vec![128, 128, 32, 8, 4]);
        let back: Vec<u32> = pow2_runs(&items, 128).flatten().copied().collect();
        assert_eq!(back, items, "every item once, in order");
        assert_eq!(pow2_runs(&items[..0], 128).count(), 0);
    }
}
