//! The async example, end to end: builds the plugin in
//! `examples/async-service/plugin` for wasm32, serves `GET /users/{id}` on
//! 127.0.0.1 by calling it through an `AsyncHostPool`, while its host
//! function `find_user` awaits an async store (10 ms a lookup), then sends
//! the server a burst of concurrent local requests and checks every
//! answer.
//!
//! Run it from the repository root with `cargo run -p async-service`;
//! `cargo run -p async-service -- --serve` keeps serving instead.
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::routing::get;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::RwLock;
use wasmer_plugin_host::{AsyncHostPool, Bincode, Function, Plugin};

/// The plugin's user type, as the host sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct User {
    name: String,
    visits: u32,
}

/// An in-process async store, as slow as a database a network away.
struct Store {
    users: RwLock<HashMap<u32, User>>,
    latency: Duration,
}

impl Store {
    fn new(latency: Duration) -> Store {
        let users = [(1, "Ada"), (2, "Grace"), (3, "Barbara")]
            .into_iter()
            .map(|(id, name)| {
                let user = User {
                    name: name.to_owned(),
                    visits: 0,
                };
                (id, user)
            })
            .collect();
        Store {
            users: RwLock::new(users),
            latency,
        }
    }

    /// The user with `id`, counting the visit.
    async fn visit(&self, id: u32) -> Option<User> {
        tokio::time::sleep(self.latency).await;
        let mut users = self.users.write().await;
        users.get_mut(&id).map(|user| {
            user.visits += 1;
            user.clone()
        })
    }
}

/// What the request handlers share.
struct App {
    pool: AsyncHostPool,
    render: Function<u32, String>,
}

/// Requests in the burst, all sent at once.
const REQUESTS: u32 = 200;

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
    let wasm = std::fs::read(wasmer_plugin_build::wasm_file(
        &wasm_dir,
        "async-service-plugin",
    ))?;

    let store = Arc::new(Store::new(Duration::from_millis(10)));
    let lookups = store.clone();
    let plugin = Plugin::builder()
        // The plugin's call is suspended while the store answers; its
        // thread serves other requests meanwhile.
        .async_host_fn("find_user", move |_, id: u32| {
            let store = lookups.clone();
            async move { store.visit(id).await }
        })
        .timeout(Duration::from_secs(5))
        .build(&wasm)?;
    let pool = AsyncHostPool::<Bincode>::new(&plugin)?;
    let render = pool.function::<u32, String>("render_user")?;
    let app = Router::new()
        .route("/users/{id}", get(user_page))
        .with_state(Arc::new(App { pool, render }));
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    println!("serving http://{address}/users/{{id}}");
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    if std::env::args().any(|arg| arg == "--serve") {
        server.await??;
        return Ok(());
    }

    let started = Instant::now();
    let requests: Vec<_> = (0..REQUESTS)
        .map(|n| {
            let id = n % 5;
            tokio::spawn(async move { (id, fetch(address, &format!("/users/{id}")).await) })
        })
        .collect();
    let mut per_user: HashMap<u32, u32> = HashMap::new();
    for request in requests {
        let (id, response) = request.await?;
        let (status, body) = response?;
        if status != 200 {
            return Err(format!("GET /users/{id}: status {status}: {body}").into());
        }
        let expected = match id {
            1 => "Ada has visited ",
            2 => "Grace has visited ",
            3 => "Barbara has visited ",
            _ => "",
        };
        let right = match expected {
            "" => body == format!("no user {id}"),
            prefix => body.starts_with(prefix),
        };
        if !right {
            return Err(format!("GET /users/{id} answered {body:?}").into());
        }
        *per_user.entry(id).or_default() += 1;
    }
    let elapsed = started.elapsed();
    // Every lookup reached the store once.
    let users = store.users.read().await;
    for (id, user) in users.iter() {
        let asked = per_user.get(id).copied().unwrap_or(0);
        if user.visits != asked {
            return Err(format!(
                "{} was visited {} times, asked {asked}",
                user.name, user.visits
            )
            .into());
        }
    }
    println!(
        "answered {REQUESTS} concurrent requests in {} ms, each waiting 10 ms on the store",
        elapsed.as_millis()
    );
    let mut visits: Vec<_> = users
        .values()
        .map(|user| (&user.name, user.visits))
        .collect();
    visits.sort();
    println!("visits: {visits:?}");
    server.abort();
    Ok(())
}

/// `GET /users/{id}`: the plugin's page for the user.
async fn user_page(
    State(app): State<Arc<App>>,
    UrlPath(id): UrlPath<u32>,
) -> Result<String, (StatusCode, String)> {
    app.pool
        .call_function(&app.render, &id)
        .await
        .map_err(|err| (StatusCode::INTERNAL_SERVER_ERROR, err.report().to_string()))
}

/// A plain HTTP/1.1 GET of `path`: the status and the body.
async fn fetch(address: SocketAddr, path: &str) -> Result<(u16, String), std::io::Error> {
    let mut stream = TcpStream::connect(address).await?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?;
    let response = String::from_utf8_lossy(&response);
    let malformed = || std::io::Error::other(format!("a malformed response: {response:?}"));
    let (head, body) = response.split_once("\r\n\r\n").ok_or_else(malformed)?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|status| status.parse().ok())
        .ok_or_else(malformed)?;
    Ok((status, body.to_owned()))
}
