use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;
use wasmer_plugin_bench_payloads::{
    Blob, Catalog, FeatureCollection, Rng, SEED, Small, Tweets, Work,
};

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

    /// Hands every payload to `visitor`, generated ones first, in report
    /// order.
    pub fn visit(&self, visitor: &mut impl PayloadVisitor) {
        fn each<T: Payload>(
            visitor: &mut impl PayloadVisitor,
            kind: &str,
            list: &[(&'static str, T)],
            corpus: bool,
        ) {
            for (name, value) in list
                .iter()
                .filter(|(name, _)| name.ends_with(".json") == corpus)
            {
                visitor.visit(kind, name, value);
            }
        }
        for corpus in [false, true] {
            each(visitor, "small", &self.small, corpus);
            each(visitor, "tweets", &self.tweets, corpus);
            each(visitor, "geometry", &self.geometry, corpus);
            each(visitor, "catalog", &self.catalog, corpus);
            each(visitor, "blob", &self.blob, corpus);
        }
    }

    /// Payload names in report order.
    pub fn names(&self) -> Vec<&'static str> {
        struct Names(Vec<&'static str>);
        impl PayloadVisitor for Names {
            fn visit<T: Payload>(&mut self, _: &str, name: &'static str, _: &T) {
                self.0.push(name);
            }
        }
        let mut names = Names(Vec::new());
        self.visit(&mut names);
        names.0
    }
}

/// What every payload type offers a benchmark.
pub trait Payload: Serialize + DeserializeOwned + Work + PartialEq {}

impl<T: Serialize + DeserializeOwned + Work + PartialEq> Payload for T {}

/// Something done with each payload of a run; see [`Payloads::visit`].
pub trait PayloadVisitor {
    /// `kind` names the payload's type (`small`, `tweets`, …: the prefix
    /// of its plugin functions), `name` the payload itself.
    fn visit<T: Payload>(&mut self, kind: &str, name: &'static str, value: &T);
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
