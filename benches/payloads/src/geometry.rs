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
        FeatureCollection::polygon("Generated", coordinates)
    }

    /// One polygon of `rings` rings of `points` points each, scattered
    /// over Canada, whose coordinates have every bit random, as data
    /// converted from another projection has: decimals of up to 17 digits,
    /// which a float parser must read exactly (canada.json's are such).
    pub fn full_precision(rng: &mut Rng, rings: usize, points: usize) -> FeatureCollection {
        let mut unit = || (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        let coordinates = (0..rings)
            .map(|_| {
                (0..points)
                    .map(|_| [-141.0 + 89.0 * unit(), 41.0 + 42.0 * unit()])
                    .collect()
            })
            .collect();
        FeatureCollection::polygon("Full precision", coordinates)
    }

    /// A collection of one polygon feature called `name`.
    pub fn polygon(name: &str, coordinates: Vec<Vec<[f64; 2]>>) -> FeatureCollection {
        FeatureCollection {
            kind: "FeatureCollection".into(),
            features: vec![Feature {
                kind: "Feature".into(),
                properties: Properties { name: name.into() },
                geometry: Geometry {
                    kind: "Polygon".into(),
                    coordinates,
                },
            }],
        }
    }

    /// Every coordinate of every feature, longitude and latitude in turn.
    pub fn coordinates(&self) -> impl Iterator<Item = f64> + '_ {
        let rings = self
            .features
            .iter()
            .flat_map(|feature| &feature.geometry.coordinates);
        rings.flatten().flatten().copied()
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
