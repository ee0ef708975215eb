//! What the host tells a `tracing` subscriber, with the `tracing` feature:
//! a span per plugin call (`wasmer_plugin.call`: plugin, function, codec,
//! bytes in and out, fuel used when metered, outcome and error), a child
//! span per host-function call (`wasmer_plugin.host_function`), and the
//! plugin's log records as events when the builder forwards them
//! ([`Builder::forward_plugin_logs`](crate::Builder::forward_plugin_logs)).
//!
//! Without the feature every type here is empty and every method an empty
//! inline function: nothing is compiled into a call.

use crate::Error;

#[cfg(feature = "tracing")]
impl<O: crate::builder::Target> crate::Builder<O> {
    /// Forwards the plugin's log records (its `log` records and, through
    /// tracing's `log` feature, its `tracing` events, when it is built with
    /// wasmer-plugin's `log` feature) to this process's `tracing`
    /// subscriber: each an event of target `wasmer_plugin::plugin` at the
    /// record's level, with the plugin's target in field `plugin.target`,
    /// inside the span of the call that logged it. Without it, a plugin's
    /// records are dropped.
    pub fn forward_plugin_logs(mut self) -> Self {
        self.host.forward_logs = true;
        self
    }
}

/// Where an async call was made, for what its plugin thread reports: the
/// caller's subscriber, and its current span as the call span's parent
/// (an axum handler's request span, say). Nothing without `tracing`.
#[cfg(feature = "async")]
pub(crate) struct Caller {
    #[cfg(feature = "tracing")]
    dispatch: tracing::Dispatch,
    #[cfg(feature = "tracing")]
    span: tracing::Span,
}

#[cfg(feature = "async")]
impl Caller {
    /// The calling thread's subscriber and span, now.
    #[inline]
    pub(crate) fn here() -> Caller {
        Caller {
            #[cfg(feature = "tracing")]
            dispatch: tracing::dispatcher::get_default(tracing::Dispatch::clone),
            #[cfg(feature = "tracing")]
            span: tracing::Span::current(),
        }
    }

    /// Runs `body` (one poll of the call, on a plugin thread) with the
    /// caller's subscriber as the default and its span entered.
    #[inline]
    pub(crate) fn within<T>(&self, body: impl FnOnce() -> T) -> T {
        #[cfg(feature = "tracing")]
        return tracing::dispatcher::with_default(&self.dispatch, || self.span.in_scope(body));
        #[cfg(not(feature = "tracing"))]
        body()
    }
}

/// What `enter` gives without the `tracing` feature: nothing to leave.
#[cfg(not(feature = "tracing"))]
pub(crate) struct NotEntered;

/// The span of one plugin call or one host-function call; nothing without
/// the `tracing` feature.
pub(crate) struct Span {
    #[cfg(feature = "tracing")]
    span: tracing::Span,
}

impl Span {
    /// `wasmer_plugin.call`, for a call of `function` of plugin `plugin`.
    #[inline]
    pub(crate) fn call(plugin: u64, function: &str, codec: &str, input_bytes: usize) -> Span {
        #[cfg(feature = "tracing")]
        {
            use tracing::field::Empty;
            Span {
                span: tracing::info_span!(
                    "wasmer_plugin.call",
                    plugin,
                    function,
                    codec,
                    input_bytes,
                    output_bytes = Empty,
                    fuel_used = Empty,
                    outcome = Empty,
                    error = Empty,
                ),
            }
        }
        #[cfg(not(feature = "tracing"))]
        {
            let _ = (plugin, function, codec, input_bytes);
            Span {}
        }
    }

    /// `wasmer_plugin.host_function`, a child of the running call's.
    #[inline]
    pub(crate) fn host_function(name: &str, input_bytes: u32) -> Span {
        #[cfg(feature = "tracing")]
        {
            Span {
                span: tracing::debug_span!(
                    "wasmer_plugin.host_function",
                    name,
                    input_bytes,
                    output_bytes = tracing::field::Empty,
                ),
            }
        }
        #[cfg(not(feature = "tracing"))]
        {
            let _ = (name, input_bytes);
            Span {}
        }
    }

    /// Enters the span for as long as the guard lives: what happens
    /// meanwhile on this thread (host-function spans, forwarded logs) is
    /// its child.
    #[inline]
    #[cfg(feature = "tracing")]
    pub(crate) fn enter(&self) -> tracing::span::Entered<'_> {
        self.span.enter()
    }

    #[inline]
    #[cfg(not(feature = "tracing"))]
    pub(crate) fn enter(&self) -> NotEntered {
        NotEntered
    }

    /// The length of the output: the plugin's, or the host function's
    /// reply.
    #[inline]
    pub(crate) fn output(&self, bytes: usize) {
        #[cfg(feature = "tracing")]
        self.span.record("output_bytes", bytes);
        #[cfg(not(feature = "tracing"))]
        let _ = bytes;
    }

    /// The fuel the call used, asked only when a subscriber listens.
    #[inline]
    #[cfg(feature = "tracing")]
    pub(crate) fn fuel(&self, used: impl FnOnce() -> Option<u64>) {
        if !self.span.is_disabled()
            && let Some(used) = used()
        {
            self.span.record("fuel_used", used);
        }
    }

    /// How the call ended.
    #[inline]
    pub(crate) fn finish<T, E: std::borrow::Borrow<Error>>(&self, result: &Result<T, E>) {
        #[cfg(feature = "tracing")]
        match result {
            Ok(_) => {
                self.span.record("outcome", "ok");
            }
            Err(error) => {
                self.span.record("outcome", "error");
                self.span
                    .record("error", tracing::field::display(error.borrow().report()));
            }
        }
        #[cfg(not(feature = "tracing"))]
        let _ = result;
    }
}

/// One log record of the plugin, at `level` (1 error to 5 trace, as the
/// `log` crate numbers them), as an event of target `wasmer_plugin::plugin`
/// whose `plugin.target` field is the plugin's own target (a `tracing`
/// target is fixed where the event is written, so the plugin's cannot be
/// the event's). Called only for a builder that forwards logs.
#[inline]
pub(crate) fn plugin_log(level: u32, target: &str, message: &str) {
    #[cfg(not(feature = "tracing"))]
    let _ = (level, target, message);
    #[cfg(feature = "tracing")]
    macro_rules! event {
        ($level:expr) => {
            tracing::event!(target: "wasmer_plugin::plugin", $level, plugin.target = target, "{message}")
        };
    }
    #[cfg(feature = "tracing")]
    match level {
        1 => event!(tracing::Level::ERROR),
        2 => event!(tracing::Level::WARN),
        3 => event!(tracing::Level::INFO),
        4 => event!(tracing::Level::DEBUG),
        _ => event!(tracing::Level::TRACE),
    }
}
