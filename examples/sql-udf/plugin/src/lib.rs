//! String and numeric functions for SQL: each becomes a DataFusion
//! function of the same name, called once per batch.

use wasmer_plugin::wasmer_plugin;

/// The address trimmed and lowercased, or NULL when it is not one.
#[wasmer_plugin]
pub fn clean_email(address: &str) -> Option<String> {
    let address = address.trim();
    let (user, domain) = address.split_once('@')?;
    if user.is_empty() || !domain.contains('.') || domain.contains('@') {
        return None;
    }
    Some(address.to_ascii_lowercase())
}

/// The part of an address after the `@`, lowercased.
#[wasmer_plugin]
pub fn email_domain(address: &str) -> Option<String> {
    let (_, domain) = address.trim().rsplit_once('@')?;
    Some(domain.to_ascii_lowercase())
}

/// A price with tax, in cents, rounded half up.
#[wasmer_plugin]
pub fn with_tax(cents: i64, percent: f64) -> i64 {
    (cents as f64 * (1.0 + percent / 100.0)).round() as i64
}

/// Initials of a full name: "Ada Lovelace" → "AL".
#[wasmer_plugin]
pub fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|word| word.chars().next())
        .flat_map(char::to_uppercase)
        .collect()
}

/// A missing discount is none.
#[wasmer_plugin]
pub fn discount_or_zero(percent: Option<f64>) -> f64 {
    percent.unwrap_or(0.0)
}
