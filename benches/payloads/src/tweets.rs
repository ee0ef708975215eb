use serde::{Deserialize, Serialize};

use crate::{Rng, Work};

/// A search result of tweets: string-heavy records with nested users and
/// entities. Reads `twitter.json`; fields the model leaves out are
/// skipped when reading it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tweets {
    pub statuses: Vec<Status>,
    pub search_metadata: SearchMetadata,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Status {
    pub metadata: StatusMetadata,
    pub created_at: String,
    pub id: u64,
    pub id_str: String,
    pub text: String,
    pub source: String,
    pub truncated: bool,
    pub in_reply_to_status_id: Option<u64>,
    pub in_reply_to_status_id_str: Option<String>,
    pub in_reply_to_user_id: Option<u64>,
    pub in_reply_to_user_id_str: Option<String>,
    pub in_reply_to_screen_name: Option<String>,
    pub user: User,
    pub retweeted_status: Option<Box<Status>>,
    pub retweet_count: u32,
    pub favorite_count: u32,
    pub entities: Entities,
    pub favorited: bool,
    pub retweeted: bool,
    pub possibly_sensitive: Option<bool>,
    pub lang: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusMetadata {
    pub result_type: String,
    pub iso_language_code: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: u64,
    pub id_str: String,
    pub name: String,
    pub screen_name: String,
    pub location: String,
    pub description: String,
    pub url: Option<String>,
    pub protected: bool,
    pub followers_count: u32,
    pub friends_count: u32,
    pub listed_count: u32,
    pub created_at: String,
    pub favourites_count: u32,
    pub utc_offset: Option<i32>,
    pub time_zone: Option<String>,
    pub geo_enabled: bool,
    pub verified: bool,
    pub statuses_count: u32,
    pub lang: String,
    pub profile_image_url_https: String,
    pub default_profile: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entities {
    pub hashtags: Vec<Hashtag>,
    pub urls: Vec<Url>,
    pub user_mentions: Vec<Mention>,
    pub media: Option<Vec<Media>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hashtag {
    pub text: String,
    pub indices: [u32; 2],
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Url {
    pub url: String,
    pub expanded_url: String,
    pub display_url: String,
    pub indices: [u32; 2],
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mention {
    pub screen_name: String,
    pub name: String,
    pub id: u64,
    pub id_str: String,
    pub indices: [u32; 2],
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Media {
    pub id: u64,
    pub id_str: String,
    pub indices: [u32; 2],
    pub media_url_https: String,
    pub url: String,
    pub display_url: String,
    pub expanded_url: String,
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchMetadata {
    pub completed_in: f64,
    pub max_id: u64,
    pub max_id_str: String,
    pub next_results: String,
    pub query: String,
    pub refresh_url: String,
    pub count: u32,
    pub since_id: u64,
    pub since_id_str: String,
}

impl Tweets {
    /// `count` tweets, about a quarter of them retweets, shaped like
    /// `twitter.json`'s.
    pub fn generate(rng: &mut Rng, count: usize) -> Tweets {
        let statuses = (0..count)
            .map(|_| {
                let retweeted = rng.chance(25).then(|| Box::new(status(rng, None)));
                status(rng, retweeted)
            })
            .collect();
        let max_id = rng.next_u64() >> 8;
        Tweets {
            statuses,
            search_metadata: SearchMetadata {
                completed_in: 0.087,
                max_id,
                max_id_str: max_id.to_string(),
                next_results: format!("?max_id={max_id}&q=wasm&count={count}&include_entities=1"),
                query: "wasm".into(),
                refresh_url: format!("?since_id={max_id}&q=wasm&include_entities=1"),
                count: count as u32,
                since_id: 0,
                since_id_str: "0".into(),
            },
        }
    }
}

fn status(rng: &mut Rng, retweeted_status: Option<Box<Status>>) -> Status {
    let id = rng.next_u64() >> 8;
    let reply_to = rng.chance(10).then(|| rng.next_u64() >> 8);
    let words = rng.range(4, 20);
    let text = rng.words(words);
    let hashtags = (0..rng.range(0, 3))
        .map(|_| Hashtag {
            text: rng.handle(8),
            indices: [0, 9],
        })
        .collect();
    let urls = (0..rng.range(0, 2))
        .map(|_| {
            let short = rng.handle(10);
            Url {
                url: format!("http://t.co/{short}"),
                expanded_url: format!("http://example.com/{}/{}", rng.handle(8), rng.handle(12)),
                display_url: format!("example.com/{short}"),
                indices: [10, 32],
            }
        })
        .collect();
    let user_mentions = (0..rng.range(0, 3))
        .map(|_| {
            let id = rng.next_u64() >> 24;
            Mention {
                screen_name: rng.handle(10),
                name: rng.words(2),
                id,
                id_str: id.to_string(),
                indices: [0, 11],
            }
        })
        .collect();
    let media = rng.chance(15).then(|| {
        let id = rng.next_u64() >> 8;
        let short = rng.handle(10);
        vec![Media {
            id,
            id_str: id.to_string(),
            indices: [20, 42],
            media_url_https: format!("https://pbs.twimg.com/media/{}.jpg", rng.handle(15)),
            url: format!("http://t.co/{short}"),
            display_url: format!("pic.twitter.com/{short}"),
            expanded_url: format!("http://twitter.com/{}/status/{id}/photo/1", rng.handle(8)),
            kind: "photo".into(),
        }]
    });
    Status {
        metadata: StatusMetadata {
            result_type: "recent".into(),
            iso_language_code: "ja".into(),
        },
        created_at: "Sun Aug 31 00:29:15 +0000 2014".into(),
        id,
        id_str: id.to_string(),
        text,
        source:
            "<a href=\"http://twitter.com/download/iphone\" rel=\"nofollow\">Twitter for iPhone</a>"
                .into(),
        truncated: false,
        in_reply_to_status_id: reply_to,
        in_reply_to_status_id_str: reply_to.map(|id| id.to_string()),
        in_reply_to_user_id: reply_to.map(|id| id >> 16),
        in_reply_to_user_id_str: reply_to.map(|id| (id >> 16).to_string()),
        in_reply_to_screen_name: reply_to.map(|_| rng.handle(9)),
        user: user(rng),
        retweeted_status,
        retweet_count: rng.range(0, 500) as u32,
        favorite_count: rng.range(0, 200) as u32,
        entities: Entities {
            hashtags,
            urls,
            user_mentions,
            media,
        },
        favorited: false,
        retweeted: false,
        possibly_sensitive: rng.chance(15).then_some(false),
        lang: "ja".into(),
    }
}

fn user(rng: &mut Rng) -> User {
    let id = rng.next_u64() >> 24;
    let has_zone = rng.chance(20);
    User {
        id,
        id_str: id.to_string(),
        name: rng.words(2),
        screen_name: rng.handle(10),
        location: rng.words(1),
        description: {
            let words = rng.range(3, 25);
            rng.words(words)
        },
        url: rng
            .chance(10)
            .then(|| format!("http://t.co/{}", rng.handle(10))),
        protected: false,
        followers_count: rng.range(0, 5000) as u32,
        friends_count: rng.range(0, 5000) as u32,
        listed_count: rng.range(0, 50) as u32,
        created_at: "Sun Jul 06 04:53:15 +0000 2014".into(),
        favourites_count: rng.range(0, 5000) as u32,
        utc_offset: has_zone.then_some(32400),
        time_zone: has_zone.then(|| "Tokyo".into()),
        geo_enabled: rng.chance(30),
        verified: rng.chance(2),
        statuses_count: rng.range(0, 50_000) as u32,
        lang: "ja".into(),
        profile_image_url_https: format!(
            "https://pbs.twimg.com/profile_images/{}/{}_normal.jpeg",
            rng.next_u64() >> 24,
            rng.handle(8)
        ),
        default_profile: rng.chance(50),
    }
}

impl Work for Tweets {
    fn work(mut self) -> Self {
        for status in &mut self.statuses {
            status.retweet_count += 1;
        }
        self
    }
}
