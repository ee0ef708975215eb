//! The interleaved ratios that the call-cost targets are judged on, from
//! the `pair_probe` example: blocks of 2,000 calls of one side, then of
//! the other, 300 times, and the median of the blocks' ratios; the example
//! runs [`RUNS`] times, and a pair's ratio is the median of the runs'.
//!
//! Criterion measures one group after another, seconds apart, and on a
//! shared machine the speed drifts by up to 20 % over that time, so a
//! ratio of two medians can miss a 5 % target on unchanged code. A drift
//! that slow hits both sides of an interleaved pair alike. What remains
//! differs from process to process by several percent, for the same binary
//! (the hot code of a small call, about 29 KiB under callgrind, nearly
//! fills a 32 KiB instruction cache, which a neighbour's hyperthread
//! shares), hence the several runs, whose range the table shows. The
//! table shows the medians' ratio too; the verdict is the interleaved one's.

use std::collections::BTreeMap;
use std::path::Path;

use crate::verdict;

/// How many processes of the probe a ratio is the median of.
pub const RUNS: usize = 5;

/// Each pair's ratios, one per run, by name (`round_trip/small/bincode`, ...).
pub struct Pairs(BTreeMap<String, Vec<f64>>);

impl Pairs {
    /// Runs the `pair_probe` example [`RUNS`] times.
    pub fn probe(workspace: &Path) -> Pairs {
        let runs: Vec<String> = (0..RUNS)
            .map(|_| crate::example_output(workspace, "pair_probe", &[]))
            .collect();
        Pairs::parse(runs.iter().map(String::as_str))
    }

    fn parse<'a>(runs: impl IntoIterator<Item = &'a str>) -> Pairs {
        let mut pairs: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for line in runs.into_iter().flat_map(str::lines) {
            if line.trim().is_empty() {
                continue;
            }
            let (name, ratio) = line
                .split_once('=')
                .unwrap_or_else(|| panic!("pair_probe printed {line:?}, not name=ratio"));
            let ratio = ratio
                .parse()
                .unwrap_or_else(|err| panic!("pair_probe's ratio in {line:?}: {err}"));
            pairs.entry(name.to_owned()).or_default().push(ratio);
        }
        for ratios in pairs.values_mut() {
            ratios.sort_by(f64::total_cmp);
        }
        Pairs(pairs)
    }

    /// The measured cell and the verdict of the target "pair `name` at most
    /// `limit`", whose two criterion medians gave `medians`.
    pub fn judge(&self, name: &str, medians: Option<f64>, limit: f64) -> (String, &'static str) {
        let from_medians = medians.map_or(String::new(), |r| format!("; {r:.2}× from the medians"));
        let medians = medians.map_or("—".into(), |r| format!("{r:.2}×"));
        match self.0.get(name).filter(|ratios| !ratios.is_empty()) {
            Some(ratios) => {
                let median = ratios[ratios.len() / 2];
                let (low, high) = (ratios[0], ratios[ratios.len() - 1]);
                (
                    format!(
                        "{median:.3}× interleaved ({} runs: {low:.3}–{high:.3}{from_medians})",
                        ratios.len()
                    ),
                    verdict(Some(median <= limit)),
                )
            }
            None => (
                format!("{medians} from the medians (not interleaved)"),
                verdict(None),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_verdict_is_the_median_run_of_the_interleaved_ratios() {
        let pairs = Pairs::parse([
            "round_trip/small/bincode=1.0300\n\nthreads/small/pool_over_host=1.2\n",
            "round_trip/small/bincode=0.9900\nthreads/small/pool_over_host=1.3\n",
            "round_trip/small/bincode=1.0800\nthreads/small/pool_over_host=1.0\n",
        ]);
        assert_eq!(
            pairs.judge("round_trip/small/bincode", Some(1.2), 1.05),
            (
                "1.030× interleaved (3 runs: 0.990–1.080; 1.20× from the medians)".into(),
                "yes"
            )
        );
        assert_eq!(
            pairs.judge("threads/small/pool_over_host", Some(1.0), 1.1),
            (
                "1.200× interleaved (3 runs: 1.000–1.300; 1.00× from the medians)".into(),
                "**no**"
            )
        );
        assert_eq!(
            pairs.judge("threads/small/pool_over_host", None, 1.5),
            ("1.200× interleaved (3 runs: 1.000–1.300)".into(), "yes")
        );
        assert_eq!(
            pairs.judge("host_calls/small/json", Some(1.0), 1.2),
            (
                "1.00× from the medians (not interleaved)".into(),
                "not measured"
            )
        );
    }
}
