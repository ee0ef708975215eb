//! A pool that follows its plugin file: polled, and reloaded once a change
//! has settled.
//!
//! Polling rather than the OS's file events: one `stat` every
//! [`WATCH_INTERVAL`] costs nothing, works on every platform and file
//! system (network ones included), and needs no dependency.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, PoisonError, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use wasmer_plugin_abi::Codec;

use crate::pool::Versions;
use crate::{Error, HostPool, PluginBuilder};

/// How often [`HostPool::watch`] looks at its file; a change is reloaded
/// once the file has stayed the same for one more interval.
pub const WATCH_INTERVAL: Duration = Duration::from_millis(100);

/// Stops the watch of [`HostPool::watch`] when dropped (waiting for a
/// reload in progress to end).
pub struct Watcher {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let (stopped, wake) = &*self.stop;
        *stopped.lock().unwrap_or_else(PoisonError::into_inner) = true;
        wake.notify_all();
        if let Some(thread) = self.thread.take() {
            // The thread catches its callback's panics.
            let _ = thread.join();
        }
    }
}

impl std::fmt::Debug for Watcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watcher").finish_non_exhaustive()
    }
}

/// What tells one version of the file from the next without reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
    #[cfg(unix)]
    inode: u64,
}

fn stamp(path: &Path) -> Option<Stamp> {
    let metadata = std::fs::metadata(path).ok()?;
    Some(Stamp {
        modified: metadata.modified().ok(),
        len: metadata.len(),
        #[cfg(unix)]
        inode: std::os::unix::fs::MetadataExt::ino(&metadata),
    })
}

impl<C: Codec + 'static, S: Send + 'static> HostPool<C, S> {
    /// Reloads the pool (as [`reload`](HostPool::reload)) from the plugin
    /// file at `path` each time it changes, built by a clone of `builder`,
    /// until the returned [`Watcher`] is dropped or the pool is. Each
    /// attempt's outcome goes to `on_reload`, on the watch's thread: a file
    /// that does not load, or a version the pool refuses, leaves the
    /// running one serving and gives the error there.
    ///
    /// The file is polled every [`WATCH_INTERVAL`] and read once it has
    /// stayed the same for an interval, so a copy in progress is not read
    /// midway; replace the file by renaming a complete one over it to be
    /// sure. A builder with a [`cache`](crate::Builder::cache) makes a
    /// version seen before load in milliseconds. The file's state when
    /// `watch` is called is taken as the pool's version: only later
    /// changes reload. A panic of `on_reload` ends the watch.
    ///
    /// Fails with [`Error::Io`] if `path` cannot be read now, and with
    /// [`Error::WatchThread`] if the watch's thread cannot start.
    pub fn watch(
        &self,
        path: impl Into<PathBuf>,
        builder: PluginBuilder<S>,
        on_reload: impl FnMut(Result<(), Error>) + Send + 'static,
    ) -> Result<Watcher, Error> {
        let path = path.into();
        let first = std::fs::metadata(&path)
            .map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })
            .map(|_| stamp(&path))?;
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let versions = Arc::downgrade(self.versions());
        let watch = Watch {
            path,
            builder,
            versions,
            stop: stop.clone(),
        };
        let thread = std::thread::Builder::new()
            .name("wasmer-plugin-watch".into())
            .spawn(move || watch.run(first, on_reload))
            .map_err(Error::WatchThread)?;
        Ok(Watcher {
            stop,
            thread: Some(thread),
        })
    }
}

/// What the watch's thread holds.
struct Watch<S: Send + 'static> {
    path: PathBuf,
    builder: PluginBuilder<S>,
    /// Weak: the watch ends with the pool.
    versions: Weak<Versions<S>>,
    stop: Arc<(Mutex<bool>, Condvar)>,
}

impl<S: Send + 'static> Watch<S> {
    fn run(self, mut seen: Option<Stamp>, mut on_reload: impl FnMut(Result<(), Error>)) {
        loop {
            if !self.wait() {
                return;
            }
            let mut now = stamp(&self.path);
            if now == seen {
                continue;
            }
            // Settled: unchanged for one more interval.
            loop {
                if !self.wait() {
                    return;
                }
                let again = stamp(&self.path);
                if again == now {
                    break;
                }
                now = again;
            }
            seen = now;
            let Some(versions) = self.versions.upgrade() else {
                return;
            };
            let outcome = self
                .load()
                .and_then(|plugin| versions.reload(&plugin, |_| Ok(())));
            drop(versions);
            if catch_unwind(AssertUnwindSafe(|| on_reload(outcome))).is_err() {
                return;
            }
        }
    }

    fn load(&self) -> Result<crate::Plugin<S>, Error> {
        self.builder.clone().build_from_file(&self.path)
    }

    /// Waits one interval; false once the watch is to stop.
    fn wait(&self) -> bool {
        if self.versions.strong_count() == 0 {
            return false;
        }
        let (stopped, wake) = &*self.stop;
        let stopped = stopped.lock().unwrap_or_else(PoisonError::into_inner);
        let (stopped, _) = wake
            .wait_timeout_while(stopped, WATCH_INTERVAL, |stopped| !*stopped)
            .unwrap_or_else(PoisonError::into_inner);
        !*stopped
    }
}
