//! A `tracing` subscriber that records every span and event with its
//! fields and parent, for tests of what the host reports.
//!
//! tracing caches, per callsite, whether any subscriber wants it. A test
//! thread that reaches a callsite while no subscriber exists can cache
//! "never" just as another thread installs its recorder, and the recorder
//! then misses the span. [`Recorder::record`] first installs, once, a
//! global subscriber that wants nothing but answers "ask me each time", so
//! that no callsite is ever cached as unwanted.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

/// A span as recorded.
#[derive(Debug, Clone)]
pub struct SpanRecord {
    pub id: u64,
    pub name: &'static str,
    pub parent: Option<u64>,
    pub fields: BTreeMap<String, String>,
}

/// An event as recorded.
#[derive(Debug, Clone)]
pub struct EventRecord {
    pub level: Level,
    pub target: String,
    pub parent: Option<u64>,
    pub fields: BTreeMap<String, String>,
}

#[derive(Default)]
struct Recorded {
    spans: Vec<SpanRecord>,
    events: Vec<EventRecord>,
    /// The entered spans of the one thread the recorder is used on.
    entered: Vec<u64>,
}

impl Recorded {
    /// The parent of a new span or event: the one it names, or the
    /// entered one when it takes its parent from the context.
    fn parent(&self, explicit: Option<&Id>, contextual: bool) -> Option<u64> {
        match explicit {
            Some(parent) => Some(parent.into_u64()),
            None if contextual => self.entered.last().copied(),
            None => None,
        }
    }
}

/// Records what it is sent; clones share the records. Use it on one
/// thread (`tracing::subscriber::with_default`).
#[derive(Clone, Default)]
pub struct Recorder {
    next_id: Arc<AtomicU64>,
    recorded: Arc<Mutex<Recorded>>,
}

impl Recorder {
    /// Runs `body` with a new recorder as this thread's subscriber, and
    /// returns the recorder with what `body` returned.
    pub fn record<T>(body: impl FnOnce() -> T) -> (Recorder, T) {
        static GLOBAL: std::sync::Once = std::sync::Once::new();
        GLOBAL.call_once(|| {
            // Fails only if another global subscriber is set, which then
            // decides; the tests of this binary set none.
            let _ = tracing::subscriber::set_global_default(AskEachTime);
        });
        let recorder = Recorder::default();
        let value = tracing::subscriber::with_default(recorder.clone(), body);
        (recorder, value)
    }

    /// Every span so far, in the order they were made.
    pub fn spans(&self) -> Vec<SpanRecord> {
        self.recorded.lock().unwrap().spans.clone()
    }

    /// Every event so far.
    pub fn events(&self) -> Vec<EventRecord> {
        self.recorded.lock().unwrap().events.clone()
    }
}

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, attributes: &Attributes<'_>) -> Id {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let mut recorded = self.recorded.lock().unwrap();
        let parent = recorded.parent(attributes.parent(), attributes.is_contextual());
        let mut fields = BTreeMap::new();
        attributes.record(&mut Fields(&mut fields));
        recorded.spans.push(SpanRecord {
            id,
            name: attributes.metadata().name(),
            parent,
            fields,
        });
        Id::from_u64(id)
    }

    fn record(&self, span: &Id, values: &Record<'_>) {
        let mut recorded = self.recorded.lock().unwrap();
        if let Some(record) = recorded
            .spans
            .iter_mut()
            .find(|record| record.id == span.into_u64())
        {
            values.record(&mut Fields(&mut record.fields));
        }
    }

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut recorded = self.recorded.lock().unwrap();
        let parent = recorded.parent(event.parent(), event.is_contextual());
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        recorded.events.push(EventRecord {
            level: *event.metadata().level(),
            target: event.metadata().target().to_owned(),
            parent,
            fields,
        });
    }

    fn enter(&self, span: &Id) {
        self.recorded.lock().unwrap().entered.push(span.into_u64());
    }

    fn exit(&self, _: &Id) {
        self.recorded.lock().unwrap().entered.pop();
    }
}

/// The global subscriber [`Recorder::record`] installs: it wants nothing,
/// and says so at each span or event rather than once per callsite.
struct AskEachTime;

impl Subscriber for AskEachTime {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> tracing::subscriber::Interest {
        tracing::subscriber::Interest::sometimes()
    }

    fn enabled(&self, _: &Metadata<'_>) -> bool {
        false
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, _: &Event<'_>) {}

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}
