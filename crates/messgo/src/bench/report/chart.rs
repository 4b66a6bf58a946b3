//! The latency-versus-offered-rate chart: every system's 1:1 p99 (solid) and p50
//! (dashed) against the offered rate, both axes logarithmic, with the 50 ms limit
//! drawn across. Written as SVG text directly: no plotting or font library, and
//! the README shows the file as it is.

use std::fmt::Write;

use super::Report;

const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 420.0;
/// Plot area inside the margins (left, top, right, bottom).
const AREA: (f64, f64, f64, f64) = (70.0, 40.0, 600.0, 360.0);
const COLOURS: [&str; 4] = ["#1b7837", "#2166ac", "#b2182b", "#7b3294"];

/// One step on the chart: offered rate, p50 and p99 in milliseconds.
type Point = (f64, f64, f64);

/// Log-scale axis from 10^lo to 10^hi onto pixels `a..b`.
struct Axis {
    lo: f64,
    hi: f64,
    a: f64,
    b: f64,
}

impl Axis {
    fn px(&self, v: f64) -> f64 {
        let t = (v.max(1e-9).log10() - self.lo) / (self.hi - self.lo);
        self.a + t.clamp(0.0, 1.0) * (self.b - self.a)
    }
}

/// Decades that hold every value (at least one).
fn decades(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::MAX, f64::MIN);
    for v in values.filter(|v| *v > 0.0) {
        lo = lo.min(v.log10().floor());
        hi = hi.max(v.log10().ceil());
    }
    if lo > hi {
        return (0.0, 1.0);
    }
    (lo, hi.max(lo + 1.0))
}

/// The chart of `runs` (each system's report) as an SVG document.
pub fn svg(runs: &[&Report]) -> String {
    let curves: Vec<(&str, Vec<Point>)> = runs
        .iter()
        .filter_map(|r| {
            let l = r.latency.as_ref()?;
            let pts = l
                .curve()
                .iter()
                .filter(|s| s.delivered > 0)
                .map(|s| (f64::from(s.offered_per_sec), s.p50_ms, s.p99_ms))
                .collect();
            Some((r.target.as_str(), pts))
        })
        .collect();
    let all = || curves.iter().flat_map(|(_, p)| p.iter());
    let (xlo, xhi) = decades(all().map(|p| p.0));
    let (ylo, yhi) = decades(all().flat_map(|p| [p.1, p.2]).chain([50.0]));
    let x = Axis {
        lo: xlo,
        hi: xhi,
        a: AREA.0,
        b: AREA.2,
    };
    let y = Axis {
        lo: ylo,
        hi: yhi,
        a: AREA.3,
        b: AREA.1,
    };
    let mut s = String::new();
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12"><rect width="100%" height="100%" fill="#fff"/><text x="{}" y="22" font-size="14" font-weight="bold">1:1 latency against offered rate (p99 solid, p50 dashed; log–log)</text>"##,
        AREA.0
    );
    grid(&mut s, &x, &y);
    let limit = y.px(50.0);
    let _ = write!(
        s,
        r##"<line x1="{}" x2="{}" y1="{limit:.1}" y2="{limit:.1}" stroke="#888" stroke-dasharray="6 4"/><text x="{}" y="{:.1}" fill="#555">p99 limit 50 ms</text>"##,
        AREA.0,
        AREA.2,
        AREA.0 + 4.0,
        limit - 4.0
    );
    for (i, (name, pts)) in curves.iter().enumerate() {
        curve(&mut s, &x, &y, i, name, pts);
    }
    s.push_str("</svg>\n");
    s
}

/// One system's p99 and p50 lines, its points and its legend entry.
fn curve(s: &mut String, x: &Axis, y: &Axis, i: usize, name: &str, pts: &[Point]) {
    let c = COLOURS[i % COLOURS.len()];
    let line = |pick: fn(&Point) -> f64| -> String {
        pts.iter()
            .map(|p| format!("{:.1},{:.1}", x.px(p.0), y.px(pick(p))))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let _ = write!(
        s,
        r##"<polyline fill="none" stroke="{c}" stroke-width="2" points="{}"/><polyline fill="none" stroke="{c}" stroke-width="1" stroke-dasharray="4 3" points="{}"/>"##,
        line(|p| p.2),
        line(|p| p.1)
    );
    for p in pts {
        let _ = write!(
            s,
            r##"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{c}"/>"##,
            x.px(p.0),
            y.px(p.2)
        );
    }
    let ly = AREA.1 + 16.0 + 20.0 * i as f64;
    let _ = write!(
        s,
        r##"<rect x="{}" y="{:.1}" width="14" height="4" fill="{c}"/><text x="{}" y="{:.1}">{}</text>"##,
        AREA.2 + 12.0,
        ly - 6.0,
        AREA.2 + 30.0,
        ly,
        escape(name)
    );
}

/// Decade grid lines and labels on both axes.
fn grid(s: &mut String, x: &Axis, y: &Axis) {
    let mut d = x.lo;
    while d <= x.hi {
        let px = x.px(10f64.powf(d));
        let _ = write!(
            s,
            r##"<line x1="{px:.1}" x2="{px:.1}" y1="{}" y2="{}" stroke="#ddd"/><text x="{px:.1}" y="{}" text-anchor="middle">{}</text>"##,
            AREA.1,
            AREA.3,
            AREA.3 + 16.0,
            label(10f64.powf(d))
        );
        d += 1.0;
    }
    let mut d = y.lo;
    while d <= y.hi {
        let py = y.px(10f64.powf(d));
        let _ = write!(
            s,
            r##"<line x1="{}" x2="{}" y1="{py:.1}" y2="{py:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" text-anchor="end">{} ms</text>"##,
            AREA.0,
            AREA.2,
            AREA.0 - 6.0,
            py + 4.0,
            label(10f64.powf(d))
        );
        d += 1.0;
    }
    let _ = write!(
        s,
        r##"<text x="{}" y="{}" text-anchor="middle">offered messages/s</text>"##,
        (AREA.0 + AREA.2) / 2.0,
        AREA.3 + 34.0
    );
}

fn label(v: f64) -> String {
    if v >= 1.0 {
        super::format::num(v)
    } else {
        format!("{v}")
    }
}

fn escape(t: &str) -> String {
    t.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_span_whole_decades_and_map_logarithmically() {
        assert_eq!(decades([3.0, 450.0].into_iter()), (0.0, 3.0));
        assert_eq!(decades(std::iter::empty()), (0.0, 1.0));
        let a = Axis {
            lo: 0.0,
            hi: 2.0,
            a: 0.0,
            b: 100.0,
        };
        assert!((a.px(10.0) - 50.0).abs() < 1e-9);
        assert_eq!(a.px(1e6), 100.0, "clamped to the area");
    }

    #[test]
    fn names_are_escaped() {
        assert_eq!(escape("a<b&c"), "a&lt;b&amp;c");
    }
}
