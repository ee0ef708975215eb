use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{Rng, Work};

/// A ticketing catalog: events, performances with prices and seat
/// categories, and many id-to-name maps. Struct- and map-heavy, with
/// integers that are large but few distinct strings. Reads
/// `citm_catalog.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Catalog {
    pub area_names: BTreeMap<String, String>,
    pub audience_sub_category_names: BTreeMap<String, String>,
    pub block_names: BTreeMap<String, String>,
    pub events: BTreeMap<String, Event>,
    pub performances: Vec<Performance>,
    pub seat_category_names: BTreeMap<String, String>,
    pub sub_topic_names: BTreeMap<String, String>,
    pub subject_names: BTreeMap<String, String>,
    pub topic_names: BTreeMap<String, String>,
    pub topic_sub_topics: BTreeMap<String, Vec<u64>>,
    pub venue_names: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub description: Option<String>,
    pub id: u64,
    pub logo: Option<String>,
    pub name: String,
    pub sub_topic_ids: Vec<u64>,
    pub subject_code: Option<String>,
    pub subtitle: Option<String>,
    pub topic_ids: Vec<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Performance {
    pub event_id: u64,
    pub id: u64,
    pub logo: Option<String>,
    pub name: Option<String>,
    pub prices: Vec<Price>,
    pub seat_categories: Vec<SeatCategory>,
    pub seat_map_image: Option<String>,
    pub start: u64,
    pub venue_code: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Price {
    pub amount: u64,
    pub audience_sub_category_id: u64,
    pub seat_category_id: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeatCategory {
    pub areas: Vec<Area>,
    pub seat_category_id: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Area {
    pub area_id: u64,
    pub block_ids: Vec<u64>,
}

impl Catalog {
    /// `events` events with about two performances each, shaped like
    /// `citm_catalog.json`.
    pub fn generate(rng: &mut Rng, events: usize) -> Catalog {
        let names = |rng: &mut Rng, count: usize, base: u64| -> BTreeMap<String, String> {
            (0..count)
                .map(|i| ((base + i as u64).to_string(), rng.words(2)))
                .collect()
        };
        let area_names = names(rng, 20, 205_705_993);
        let seat_category_names = names(rng, 30, 338_937_235);
        let topic_names = names(rng, 8, 107_888_604);
        let sub_topic_names = names(rng, 20, 337_184_262);
        let audience_sub_category_names = names(rng, 3, 337_100_890);
        let venue_names: BTreeMap<String, String> = (0..4)
            .map(|_| (rng.handle(12).to_uppercase(), rng.words(2)))
            .collect();
        let venue_codes: Vec<String> = venue_names.keys().cloned().collect();
        let mut event_map = BTreeMap::new();
        let mut performances = Vec::new();
        for i in 0..events {
            let id = 138_586_341 + i as u64 * 7;
            event_map.insert(
                id.to_string(),
                Event {
                    description: None,
                    id,
                    logo: rng
                        .chance(30)
                        .then(|| format!("/images/UE0AAAAAC{}", rng.handle(6))),
                    name: rng.words(3),
                    sub_topic_ids: (0..rng.range(1, 4))
                        .map(|_| 337_184_262 + rng.range(0, 20))
                        .collect(),
                    subject_code: None,
                    subtitle: None,
                    topic_ids: (0..rng.range(1, 3))
                        .map(|_| 107_888_604 + rng.range(0, 8))
                        .collect(),
                },
            );
            for _ in 0..rng.range(1, 4) {
                let categories: Vec<u64> = (0..rng.range(1, 4))
                    .map(|_| 338_937_235 + rng.range(0, 30))
                    .collect();
                performances.push(Performance {
                    event_id: id,
                    id: 339_887_544 + performances.len() as u64,
                    logo: None,
                    name: None,
                    prices: categories
                        .iter()
                        .map(|&seat_category_id| Price {
                            amount: rng.range(10, 200) * 250,
                            audience_sub_category_id: 337_100_890,
                            seat_category_id,
                        })
                        .collect(),
                    seat_categories: categories
                        .iter()
                        .map(|&seat_category_id| SeatCategory {
                            areas: (0..rng.range(1, 10))
                                .map(|_| Area {
                                    area_id: 205_705_993 + rng.range(0, 20),
                                    block_ids: Vec::new(),
                                })
                                .collect(),
                            seat_category_id,
                        })
                        .collect(),
                    seat_map_image: None,
                    start: 1_372_701_600_000 + rng.range(0, 1_000) * 86_400_000,
                    venue_code: venue_codes[rng.range(0, venue_codes.len() as u64) as usize]
                        .clone(),
                });
            }
        }
        let topic_sub_topics = topic_names
            .keys()
            .map(|topic| {
                let subs = (0..rng.range(1, 5))
                    .map(|_| 337_184_262 + rng.range(0, 20))
                    .collect();
                (topic.clone(), subs)
            })
            .collect();
        Catalog {
            area_names,
            audience_sub_category_names,
            block_names: BTreeMap::new(),
            events: event_map,
            performances,
            seat_category_names,
            sub_topic_names,
            subject_names: BTreeMap::new(),
            topic_names,
            topic_sub_topics,
            venue_names,
        }
    }
}

impl Work for Catalog {
    fn work(mut self) -> Self {
        for performance in &mut self.performances {
            performance.start += 3_600_000;
        }
        self
    }
}
