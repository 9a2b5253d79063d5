//! Small pieces of HTML and SVG writing: escaping, the script hash for the Content-Security-Policy,
//! and the colours every chart shares.

use sha2::{Digest, Sha256};

/// Text escaped for HTML and SVG, in element content and quoted attributes alike. Control
/// characters other than tab and newline become U+FFFD (XML rejects them).
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' => out.push(c),
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// The CSP source that allows exactly this inline script: `'sha256-<base64>'`.
pub(crate) fn script_hash(script: &str) -> String {
    format!("'sha256-{}'", base64(&Sha256::digest(script.as_bytes())))
}

/// Standard base64 with padding (only the CSP hash needs it, so no crate for it).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let symbol = |index: u32| char::from(ALPHABET.get((index & 63) as usize).copied().unwrap_or(b'='));
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let [a, b, c] = [0, 1, 2].map(|i| u32::from(chunk.get(i).copied().unwrap_or(0)));
        let group = (a << 16) | (b << 8) | c;
        out.push(symbol(group >> 18));
        out.push(symbol(group >> 12));
        out.push(if chunk.len() > 1 { symbol(group >> 6) } else { '=' });
        out.push(if chunk.len() > 2 { symbol(group) } else { '=' });
    }
    out
}

/// A number for an SVG attribute: at most one decimal, no "-0".
pub(crate) fn num(value: f64) -> String {
    let rounded = (value * 10.0).round() / 10.0;
    if rounded == 0.0 {
        return "0".to_owned();
    }
    if rounded.fract() == 0.0 { format!("{rounded:.0}") } else { format!("{rounded:.1}") }
}

/// Okabe and Ito's palette: distinguishable with every common colour-vision deficiency.
pub(crate) mod palette {
    pub const BLUE: &str = "#0072B2";
    pub const GREEN: &str = "#009E73";
    pub const VERMILLION: &str = "#D55E00";
    pub const ORANGE: &str = "#E69F00";
    pub const SKY: &str = "#56B4E9";
    pub const PURPLE: &str = "#CC79A7";
    pub const YELLOW: &str = "#F0E442";
    pub const GREY: &str = "#8C8C8C";
    pub const INK: &str = "#1F2933";
    pub const MUTED: &str = "#5F6B7A";
    pub const GRID: &str = "#E3E8EE";

    /// Series colours in order (rules in the timeline).
    pub const SERIES: [&str; 7] = [VERMILLION, BLUE, ORANGE, GREEN, PURPLE, SKY, YELLOW];
}

/// A sequential single-hue blue from near-white (0) to deep blue (1), for the heat map.
pub(crate) fn blue_scale(share: f64) -> String {
    let t = share.clamp(0.0, 1.0);
    let low = [0xF3_u8, 0xF6, 0xFA];
    let high = [0x08_u8, 0x3D, 0x77];
    let [r, g, b] = [0, 1, 2].map(|i| {
        let (l, h) = (f64::from(low.get(i).copied().unwrap_or(0)), f64::from(high.get(i).copied().unwrap_or(0)));
        // The value is within 0..=255 by construction.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let channel = (l + (h - l) * t).round() as u8;
        channel
    });
    format!("#{r:02X}{g:02X}{b:02X}")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"q\"\u{1b}[2J"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;\u{fffd}[2J"
        );
    }

    #[test]
    fn base64_matches_the_standard_vectors() {
        // RFC 4648 section 10.
        for (input, expected) in
            [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy")]
        {
            assert_eq!(base64(input.as_bytes()), expected);
        }
        // sha256("") in base64, as browsers compute it for an empty script.
        assert_eq!(script_hash(""), "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='");
    }

    #[test]
    fn numbers_and_colours() {
        assert_eq!(num(12.04), "12");
        assert_eq!(num(3.25), "3.3");
        assert_eq!(num(-0.01), "0");
        assert_eq!(blue_scale(0.0), "#F3F6FA");
        assert_eq!(blue_scale(1.0), "#083D77");
    }
}
