//! The example plugin: the original wasmer-plugin example, one function
//! that takes a number and a string and doubles both.
use wasmer_plugin::*;

/// Doubles the number (saturating at 255) and repeats the string twice.
#[wasmer_plugin]
pub fn double(pair: (u8, String)) -> (u8, String) {
    let (number, text) = pair;
    (number.saturating_mul(2), text.repeat(2))
}

#[cfg(test)]
mod tests {
    // The function stays an ordinary Rust function, testable natively.
    #[test]
    fn doubles_both_halves() {
        assert_eq!(super::double((21, "ab".into())), (42, "abab".into()));
        assert_eq!(super::double((200, String::new())), (255, String::new()));
    }
}
