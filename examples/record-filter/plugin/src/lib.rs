//! A record filter that its host configures and that logs through its
//! host: the plugin asks for its settings with `config`, reports what it
//! does with `log`, and returns the records it keeps.

use serde::{Deserialize, Serialize};
use wasmer_plugin::{host_functions, wasmer_plugin};

/// One payment, as the host sends it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub id: u32,
    pub country: String,
    pub amount_cents: u64,
}

/// How much a log line matters.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub enum Level {
    Info,
    Warn,
}

#[host_functions(codec = "postcard")]
extern "C" {
    /// The host's setting for `key`, if it has one.
    fn config(key: &str) -> Option<String>;
    /// Writes a line to the host's log.
    fn log(level: Level, message: &str);
}

/// The records from the configured `country` (all countries when unset)
/// with at least `min_amount_cents`; logs why each other record was
/// dropped.
#[wasmer_plugin(codec = "postcard")]
pub fn filter(records: Vec<Record>) -> Vec<Record> {
    let country = config("country");
    let min_amount = match config("min_amount_cents").map(|text| text.parse::<u64>()) {
        Some(Ok(min)) => min,
        Some(Err(err)) => {
            log(
                Level::Warn,
                &format!("min_amount_cents is not a number ({err}); using 0"),
            );
            0
        }
        None => 0,
    };
    let total = records.len();
    let kept: Vec<Record> = records
        .into_iter()
        .filter(|record| {
            if let Some(country) = &country
                && &record.country != country
            {
                log(
                    Level::Info,
                    &format!(
                        "record {}: from {}, not {country}",
                        record.id, record.country
                    ),
                );
                return false;
            }
            if record.amount_cents < min_amount {
                log(
                    Level::Info,
                    &format!(
                        "record {}: {} cents is under {min_amount}",
                        record.id, record.amount_cents
                    ),
                );
                return false;
            }
            true
        })
        .collect();
    log(
        Level::Info,
        &format!("kept {} of {total} records", kept.len()),
    );
    kept
}
