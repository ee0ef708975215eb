//! The medians criterion wrote for the last run.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

/// Median time in nanoseconds per (group, function) id.
pub struct Measurements(BTreeMap<(String, String), f64>);

#[derive(Deserialize)]
struct BenchmarkId {
    group_id: String,
    function_id: Option<String>,
}

#[derive(Deserialize)]
struct Estimates {
    median: Estimate,
}

#[derive(Deserialize)]
struct Estimate {
    point_estimate: f64,
}

impl Measurements {
    /// Every `new/benchmark.json` with its `new/estimates.json` under
    /// `criterion_dir`.
    pub fn read(criterion_dir: &Path) -> Measurements {
        let mut found = BTreeMap::new();
        let mut stack = vec![criterion_dir.to_path_buf()];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.ends_with("new/benchmark.json") {
                    let estimates = path.with_file_name("estimates.json");
                    if let (Some(id), Some(estimates)) = (
                        read_json::<BenchmarkId>(&path),
                        read_json::<Estimates>(&estimates),
                    ) {
                        found.insert(
                            (id.group_id, id.function_id.unwrap_or_default()),
                            estimates.median.point_estimate,
                        );
                    }
                }
            }
        }
        assert!(
            !found.is_empty(),
            "no criterion results under {}: run the benchmarks first",
            criterion_dir.display()
        );
        Measurements(found)
    }

    pub fn get(&self, group: &str, function: &str) -> Option<f64> {
        self.0
            .get(&(group.to_owned(), function.to_owned()))
            .copied()
    }

    /// The median of `{codec}/{kind}` in group `round_trip/{payload}`.
    pub fn round_trip(&self, payload: &str, codec: &str, kind: &str) -> Option<f64> {
        self.get(&format!("round_trip/{payload}"), &format!("{codec}/{kind}"))
    }
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Option<T> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}
