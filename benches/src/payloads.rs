use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use wasmer_plugin_bench_payloads::{Blob, Catalog, FeatureCollection, Rng, SEED, Small, Tweets};

/// The environment variable naming a folder with `twitter.json`,
/// `citm_catalog.json` and `canada.json`, which become extra payloads.
pub const CORPUS_ENV: &str = "WASMER_PLUGIN_CORPUS";

/// Every payload of one run: the generated ones, and the real documents
/// when [`CORPUS_ENV`] names them. Names are stable: the report and the
/// benchmark ids use them.
pub struct Payloads {
    pub small: Vec<(&'static str, Small)>,
    pub tweets: Vec<(&'static str, Tweets)>,
    pub geometry: Vec<(&'static str, FeatureCollection)>,
    pub catalog: Vec<(&'static str, Catalog)>,
    pub blob: Vec<(&'static str, Blob)>,
}

impl Payloads {
    /// The generated payloads, plus the corpus if [`CORPUS_ENV`] is set.
    ///
    /// # Panics
    /// When the corpus folder is set but a file is missing or does not
    /// parse as its model: a benchmark run should not quietly skip it.
    pub fn load() -> Payloads {
        let mut rng = Rng::new(SEED);
        let mut payloads = Payloads {
            small: vec![("small", Small::generate(&mut rng))],
            tweets: vec![("tweets", Tweets::generate(&mut rng, 100))],
            geometry: vec![("geometry", FeatureCollection::generate(&mut rng, 20, 250))],
            catalog: vec![("catalog", Catalog::generate(&mut rng, 60))],
            blob: vec![("blob_64k", Blob::generate(&mut rng, 64 * 1024))],
        };
        if let Some(dir) = corpus_dir() {
            payloads
                .tweets
                .push(("twitter.json", read_json(&dir, "twitter.json")));
            payloads
                .catalog
                .push(("citm_catalog.json", read_json(&dir, "citm_catalog.json")));
            payloads
                .geometry
                .push(("canada.json", read_json(&dir, "canada.json")));
        }
        payloads
    }

    /// Payload names in report order.
    pub fn names(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = Vec::new();
        names.extend(self.small.iter().map(|(name, _)| *name));
        names.extend(self.tweets.iter().take(1).map(|(name, _)| *name));
        names.extend(self.geometry.iter().take(1).map(|(name, _)| *name));
        names.extend(self.catalog.iter().take(1).map(|(name, _)| *name));
        names.extend(self.blob.iter().map(|(name, _)| *name));
        names.extend(self.tweets.iter().skip(1).map(|(name, _)| *name));
        names.extend(self.catalog.iter().skip(1).map(|(name, _)| *name));
        names.extend(self.geometry.iter().skip(1).map(|(name, _)| *name));
        names
    }
}

/// The corpus folder from [`CORPUS_ENV`], if set and not empty.
pub fn corpus_dir() -> Option<PathBuf> {
    std::env::var_os(CORPUS_ENV)
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
}

fn read_json<T: DeserializeOwned>(dir: &Path, file: &str) -> T {
    let path = dir.join(file);
    let bytes = std::fs::read(&path)
        .unwrap_or_else(|err| panic!("{CORPUS_ENV}: reading {}: {err}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|err| {
        panic!(
            "{CORPUS_ENV}: {} does not fit its model: {err}",
            path.display()
        )
    })
}
