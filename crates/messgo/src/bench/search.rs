//! Finding the highest rate a server carries cleanly by bisection instead of a
//! fixed ladder: a ladder that jumps from 10,000 to 20,000/s cannot tell 1.3× from
//! 1.9× the peer. The search is a plain state machine (the next rate to try, then
//! what that try showed) so the scenarios drive it with real steps and the tests
//! drive it with made-up ones.

/// Where the search stands: the highest clean rate seen, the lowest failing one.
#[derive(Debug, Clone)]
pub struct Search {
    /// Highest rate that passed.
    lo: Option<f64>,
    /// Lowest rate that failed.
    hi: Option<f64>,
    next: f64,
    min: f64,
    max: f64,
    /// Stop once `hi / lo` is within this factor.
    precision: f64,
    tries_left: usize,
}

impl Search {
    /// Starts at `start`, doubling while steps pass (up to `max`) and halving while
    /// they fail (down to `min`), then bisects until the bracket is within
    /// `precision` (e.g. 1.05) or `tries` steps have run.
    pub fn new(start: f64, min: f64, max: f64, precision: f64, tries: usize) -> Search {
        Search {
            lo: None,
            hi: None,
            next: start.clamp(min, max),
            min,
            max,
            precision: precision.max(1.001),
            tries_left: tries,
        }
    }

    /// The rate to try next, or `None` when the search is over.
    pub fn next(&self) -> Option<f64> {
        if self.tries_left == 0 {
            return None;
        }
        let rate = self.next.round().max(1.0);
        match (self.lo, self.hi) {
            (Some(lo), Some(hi)) if hi / lo <= self.precision => None,
            // Rates are whole messages a second: a bracket of adjacent rates is done.
            (Some(lo), Some(hi)) if rate <= lo || rate >= hi => None,
            // Passed at the ceiling: nothing above it is offered.
            (Some(lo), None) if lo >= self.max => None,
            // Failed at the floor: nothing below it is tried.
            (None, Some(hi)) if hi <= self.min => None,
            _ => Some(rate),
        }
    }

    /// What the step at `rate` showed.
    pub fn record(&mut self, rate: f64, passed: bool) {
        self.tries_left = self.tries_left.saturating_sub(1);
        if passed {
            self.lo = Some(self.lo.map_or(rate, |lo| lo.max(rate)));
        } else {
            self.hi = Some(self.hi.map_or(rate, |hi| hi.min(rate)));
        }
        self.next = match (self.lo, self.hi) {
            (Some(lo), Some(hi)) => (lo + hi) / 2.0,
            (Some(lo), None) => (lo * 2.0).min(self.max),
            (None, Some(hi)) => (hi / 2.0).max(self.min),
            (None, None) => self.next,
        };
    }

    /// The highest rate that passed: the headline.
    pub fn best(&self) -> Option<f64> {
        self.lo
    }
}

#[cfg(test)]
mod tests {
    use super::Search;

    /// Runs the search against a server that carries exactly `capacity`.
    fn against(capacity: f64, start: f64) -> (Option<f64>, Vec<f64>) {
        let mut s = Search::new(start, 1.0, 1_000_000.0, 1.02, 30);
        let mut tried = Vec::new();
        while let Some(rate) = s.next() {
            tried.push(rate);
            s.record(rate, rate <= capacity);
        }
        (s.best(), tried)
    }

    #[test]
    fn bisection_lands_within_the_precision_below_the_capacity() {
        let (best, tried) = against(23_700.0, 1_000.0);
        let best = best.unwrap();
        assert!((23_700.0 / 1.03..=23_700.0).contains(&best), "{best}");
        assert!(tried.len() < 15, "{tried:?}");
        // Doubling first: 1,000, 2,000, 4,000 … then halving the bracket.
        assert_eq!(&tried[..3], &[1_000.0, 2_000.0, 4_000.0]);
    }

    #[test]
    fn a_failing_start_halves_down_to_what_passes() {
        let (best, tried) = against(40.0, 1_000.0);
        let best = best.unwrap();
        assert!((39.0..=40.0).contains(&best), "{best} after {tried:?}");
        assert_eq!(&tried[..2], &[1_000.0, 500.0]);
    }

    #[test]
    fn nothing_passing_ends_at_the_floor_with_no_headline() {
        let (best, tried) = against(0.5, 8.0);
        assert_eq!(best, None);
        assert_eq!(tried, [8.0, 4.0, 2.0, 1.0]);
    }

    #[test]
    fn adjacent_whole_rates_end_the_search_without_repeating_one() {
        let (best, tried) = against(15.0, 20.0);
        assert_eq!(best, Some(15.0));
        let mut sorted = tried.clone();
        sorted.sort_by(f64::total_cmp);
        sorted.dedup();
        assert_eq!(sorted.len(), tried.len(), "no rate twice: {tried:?}");
    }

    #[test]
    fn passing_at_the_ceiling_stops_there() {
        let mut s = Search::new(600_000.0, 1.0, 1_000_000.0, 1.02, 30);
        s.record(600_000.0, true);
        assert_eq!(s.next(), Some(1_000_000.0));
        s.record(1_000_000.0, true);
        assert_eq!(s.next(), None);
        assert_eq!(s.best(), Some(1_000_000.0));
    }

    #[test]
    fn the_try_budget_ends_the_search() {
        let mut s = Search::new(100.0, 1.0, 1e9, 1.0001, 3);
        for _ in 0..3 {
            let r = s.next().unwrap();
            s.record(r, true);
        }
        assert_eq!(s.next(), None);
        assert_eq!(s.best(), Some(400.0));
    }
}
