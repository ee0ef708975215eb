use serde::{Deserialize, Serialize};

use crate::{Rng, Work};

/// GeoJSON polygons: almost nothing but `f64` coordinate pairs. Reads
/// `canada.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureCollection {
    #[serde(rename = "type")]
    pub kind: String,
    pub features: Vec<Feature>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Feature {
    #[serde(rename = "type")]
    pub kind: String,
    pub properties: Properties,
    pub geometry: Geometry,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Properties {
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Geometry {
    #[serde(rename = "type")]
    pub kind: String,
    /// Rings of `[longitude, latitude]` points.
    pub coordinates: Vec<Vec<[f64; 2]>>,
}

impl FeatureCollection {
    /// One polygon of `rings` rings of `points` points each, wandering
    /// like a coastline. Coordinates have six decimals, as survey data
    /// does, so that JSON carries them exactly.
    pub fn generate(rng: &mut Rng, rings: usize, points: usize) -> FeatureCollection {
        let coordinates = (0..rings)
            .map(|_| {
                let mut longitude = -141_000_000 + rng.range(0, 88_000_000) as i64;
                let mut latitude = 42_000_000 + rng.range(0, 41_000_000) as i64;
                (0..points)
                    .map(|_| {
                        longitude += rng.range(0, 20_001) as i64 - 10_000;
                        latitude += rng.range(0, 20_001) as i64 - 10_000;
                        [longitude as f64 / 1e6, latitude as f64 / 1e6]
                    })
                    .collect()
            })
            .collect();
        FeatureCollection {
            kind: "FeatureCollection".into(),
            features: vec![Feature {
                kind: "Feature".into(),
                properties: Properties {
                    name: "Generated".into(),
                },
                geometry: Geometry {
                    kind: "Polygon".into(),
                    coordinates,
                },
            }],
        }
    }
}

impl Work for FeatureCollection {
    fn work(mut self) -> Self {
        // Close every ring on its first point: moves data without float
        // arithmetic, which would make the JSON row print longer numbers.
        for feature in &mut self.features {
            for ring in &mut feature.geometry.coordinates {
                if let Some(&first) = ring.first() {
                    let last = ring.len() - 1;
                    ring[last] = first;
                }
            }
        }
        self
    }
}
