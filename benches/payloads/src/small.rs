use serde::{Deserialize, Serialize};

use crate::{Rng, Work};

/// A small struct: a few integers, a short string, a short vector, an
/// option, a bool and a small enum. The per-call cost case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Small {
    pub id: u32,
    pub count: u64,
    pub delta: i32,
    pub name: String,
    pub values: Vec<u16>,
    pub parent: Option<u32>,
    pub active: bool,
    pub kind: Kind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Kind {
    Plain,
    Weighted(u8),
    Labelled { label: String },
}

impl Small {
    pub fn generate(rng: &mut Rng) -> Small {
        Small {
            id: rng.range(1, 1000) as u32,
            count: rng.range(0, 100_000),
            delta: rng.range(0, 200) as i32 - 100,
            name: rng.handle(12),
            values: (0..6).map(|_| rng.range(0, 1000) as u16).collect(),
            parent: Some(rng.range(1, 1000) as u32),
            active: true,
            kind: Kind::Weighted(rng.range(0, 10) as u8),
        }
    }
}

impl Work for Small {
    fn work(mut self) -> Self {
        self.count += 1;
        self.active = !self.active;
        self
    }
}

/// An opaque byte blob, carried as bytes (`serde_bytes`), not as a
/// sequence of numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Blob {
    #[serde(with = "serde_bytes")]
    pub data: Vec<u8>,
}

impl Blob {
    pub fn generate(rng: &mut Rng, len: usize) -> Blob {
        let mut data = Vec::with_capacity(len);
        while data.len() < len {
            data.extend_from_slice(&rng.next_u64().to_le_bytes());
        }
        data.truncate(len);
        Blob { data }
    }
}

impl Work for Blob {
    fn work(mut self) -> Self {
        if let Some(first) = self.data.first_mut() {
            *first ^= 1;
        }
        self
    }
}
