/// SplitMix64: a tiny, fast, well-mixed generator, so that every machine
/// generates the same payloads without a dependency.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `low..high`.
    pub fn range(&mut self, low: u64, high: u64) -> u64 {
        low + self.next_u64() % (high - low)
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.range(0, 100) < percent
    }

    /// Words from a fixed list, some of them accented or in Japanese, as
    /// the tweet and catalog corpora are.
    pub fn words(&mut self, count: u64) -> String {
        const WORDS: [&str; 16] = [
            "plugin",
            "wasm",
            "serde",
            "théâtre",
            "catégorie",
            "rust",
            "東京",
            "音楽",
            "concert",
            "salle",
            "ticket",
            "the",
            "of",
            "and",
            "zéro",
            "ライブ",
        ];
        let mut text = String::new();
        for i in 0..count {
            if i > 0 {
                text.push(' ');
            }
            text.push_str(WORDS[self.range(0, WORDS.len() as u64) as usize]);
        }
        text
    }

    /// A short identifier of letters and digits.
    pub fn handle(&mut self, len: u64) -> String {
        const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789_";
        (0..len)
            .map(|_| CHARS[self.range(0, CHARS.len() as u64) as usize] as char)
            .collect()
    }
}
