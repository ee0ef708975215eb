//! The SQL example, end to end: builds the plugin in
//! `examples/sql-udf/plugin` for wasm32, registers its functions with a
//! DataFusion `SessionContext`, writes a CSV file of customers, and runs
//! SQL over it that calls the plugin once per batch.
//!
//! Run it from the repository root with `cargo run -p sql-udf-host`.
#![forbid(unsafe_code)]

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::prelude::{CsvReadOptions, SessionContext};
use wasmer_plugin_host::Plugin;

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let mut message = err.to_string();
            let mut source = err.source();
            while let Some(cause) = source {
                message.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// A CSV file of customers, some addresses messy or missing.
fn customers_csv(rows: usize) -> String {
    let names = [
        "Ada Lovelace",
        "Grace Hopper",
        "Alan Turing",
        "Barbara Liskov",
        "Edsger Dijkstra",
    ];
    let domains = ["Example.COM", "mail.org", "uni.edu"];
    let mut csv = String::from("id,name,email,price_cents,discount\n");
    for id in 0..rows {
        let name = names[id % names.len()];
        let user: String = name.split(' ').next().unwrap_or("x").to_lowercase();
        let email = match id % 7 {
            3 => String::new(),
            5 => format!("{user}-at-nowhere"),
            _ => format!(
                "  {}{id}@{} ",
                user.to_uppercase(),
                domains[id % domains.len()]
            ),
        };
        let discount = if id % 4 == 0 {
            String::new()
        } else {
            format!("{}", id % 30)
        };
        writeln!(
            csv,
            "{id},{name},{email},{},{discount}",
            1000 + (id * 37) % 9000
        )
        .unwrap();
    }
    csv
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let example = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()?;
    let repository = example.join("../..").canonicalize()?;
    println!("building the plugin for wasm32-unknown-unknown…");
    let wasm_dir = wasmer_plugin_build::build(
        &example.join("plugin/Cargo.toml"),
        &repository.join("target/example-plugins"),
    )?;
    let wasm_file = wasmer_plugin_build::wasm_file(&wasm_dir, "sql-udf-plugin");
    let plugin = Plugin::<()>::new(std::fs::read(&wasm_file)?)?;

    let ctx = SessionContext::new();
    let functions = wasmer_plugin_datafusion::register_plugin(&ctx, &plugin)?;
    println!(
        "SQL functions from {}: {}",
        wasm_file.display(),
        functions.names().join(", ")
    );
    for unmapped in functions.unmapped() {
        println!("not a SQL function: {unmapped}");
    }

    let csv = repository.join("target/example-data/customers.csv");
    std::fs::create_dir_all(csv.parent().expect("a parent"))?;
    let rows = 100_000;
    std::fs::write(&csv, customers_csv(rows))?;
    println!("wrote {rows} customers to {}", csv.display());
    ctx.register_csv(
        "customers",
        csv.to_str().ok_or("a UTF-8 path")?,
        CsvReadOptions::new(),
    )
    .await?;

    let queries = [
        "SELECT id, initials(name) AS initials, clean_email(email) AS email, \
         with_tax(price_cents, 20.0) AS gross_cents \
         FROM customers ORDER BY id LIMIT 8",
        "SELECT email_domain(clean_email(email)) AS domain, count(*) AS customers, \
         sum(with_tax(price_cents, 20.0 - discount_or_zero(discount))) AS gross_cents \
         FROM customers GROUP BY domain ORDER BY customers DESC, domain",
    ];
    for sql in queries {
        println!("\n{sql}");
        let batches = ctx.sql(sql).await?.collect().await?;
        println!("{}", pretty_format_batches(&batches)?);
    }

    // The plugin's answers, checked against the same logic here.
    let batches = ctx
        .sql("SELECT count(clean_email(email)) AS valid, count(*) AS total FROM customers")
        .await?
        .collect()
        .await?;
    let table = pretty_format_batches(&batches)?.to_string();
    let expected_valid = (0..rows).filter(|id| id % 7 != 3 && id % 7 != 5).count();
    if !table.contains(&format!("| {expected_valid} ")) {
        return Err(format!("expected {expected_valid} valid addresses:\n{table}").into());
    }
    println!("\n{table}\nas expected: {expected_valid} of {rows} addresses are valid");
    Ok(())
}
