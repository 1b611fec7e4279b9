//! The downloaded file's name, derived from the uploaded book's name.
//!
//! Two spellings go in the `Content-Disposition` header: a plain ASCII `filename` that every
//! client can take, and an RFC 8187 (formerly 5987) `filename*` in UTF-8, which browsers
//! prefer, so that "L'Étranger.pdf" downloads as "L'Étranger.csv" where it can.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use super::Format;

/// Longest stem kept, in characters: file systems cap names near 255 bytes and the UTF-8
/// spelling can take four bytes a character.
const MAX_STEM_CHARS: usize = 60;

/// Used when nothing of the book's name survives cleaning.
const FALLBACK_STEM: &str = "export";

/// The last path component: some browsers upload the client's full path as the name.
pub(super) fn base_name(file_name: &str) -> &str {
    file_name.rsplit(['/', '\\']).next().unwrap_or(file_name)
}

/// The name without a trailing `.pdf` in any case.
pub(super) fn strip_pdf(name: &str) -> &str {
    let cut = name.len().saturating_sub(4);
    match name.get(cut..) {
        Some(tail) if tail.eq_ignore_ascii_case(".pdf") => &name[..cut],
        _ => name,
    }
}

/// An ASCII-only file name: accents folded (é → e, œ → oe), anything else that is not a
/// letter, digit, `_` or `.` turned into a single `-`.
pub fn download_name(file_name: &str, format: Format) -> String {
    format!("{}.{}", ascii_stem(file_name), format.extension())
}

/// The file name in UTF-8, accents kept, for the `filename*` parameter; only characters that
/// file systems or the header itself cannot take are replaced.
pub fn download_name_utf8(file_name: &str, format: Format) -> String {
    let stem = strip_pdf(base_name(file_name));
    let mut out = String::with_capacity(stem.len());
    // NFC because macOS hands over decomposed names ("e" + combining accent), which some
    // file systems and viewers then show as two characters.
    for ch in stem.nfc().take(MAX_STEM_CHARS) {
        match ch {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => out.push('-'),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    let trimmed = out.trim_matches(|c: char| c.is_whitespace() || c == '.' || c == '-');
    if trimmed.is_empty() {
        return download_name(file_name, format);
    }
    format!("{trimmed}.{}", format.extension())
}

/// The whole `Content-Disposition` header value for an export download.
pub fn content_disposition(file_name: &str, format: Format) -> String {
    format!(
        "attachment; filename=\"{}\"; filename*=UTF-8''{}",
        download_name(file_name, format),
        percent_encode(&download_name_utf8(file_name, format)),
    )
}

pub(super) fn ascii_stem(file_name: &str) -> String {
    let stem = strip_pdf(base_name(file_name));
    let mut out = String::with_capacity(stem.len());
    // Decomposing first splits "é" into "e" + a combining accent, which is then dropped.
    for ch in stem.nfd() {
        match ch {
            c if is_combining_mark(c) => {}
            c if c.is_ascii_alphanumeric() || c == '_' || c == '.' => out.push(c),
            // Ligatures and letters that do not decompose into a base letter plus accent.
            'œ' => out.push_str("oe"),
            'Œ' => out.push_str("OE"),
            'æ' => out.push_str("ae"),
            'Æ' => out.push_str("AE"),
            'ß' => out.push_str("ss"),
            'ø' => out.push('o'),
            'Ø' => out.push('O'),
            _ => {
                if !out.ends_with('-') {
                    out.push('-');
                }
            }
        }
    }
    let mut stem: String = out.chars().take(MAX_STEM_CHARS).collect();
    // A leading dot would hide the file on Unix; a trailing one is dropped by Windows.
    let trimmed_len = stem.trim_end_matches(['-', '.', '_']).len();
    stem.truncate(trimmed_len);
    let stem = stem.trim_start_matches(['-', '.', '_']);
    if stem.is_empty() {
        return FALLBACK_STEM.to_owned();
    }
    if is_windows_device_name(stem) {
        // "CON.csv" still names the console on Windows, whatever the extension.
        return format!("{stem}_");
    }
    stem.to_owned()
}

fn is_windows_device_name(stem: &str) -> bool {
    let head = stem.split('.').next().unwrap_or(stem).to_ascii_uppercase();
    matches!(head.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || ((head.starts_with("COM") || head.starts_with("LPT"))
            && head.len() == 4
            && head.as_bytes()[3].is_ascii_digit())
}

/// RFC 8187 `value-chars`: attr-chars stay, every other byte of the UTF-8 is `%XX`.
fn percent_encode(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len() * 3);
    for byte in s.bytes() {
        if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_name_folds_accents_and_drops_pdf() {
        assert_eq!(
            download_name("Le Petit Prince – Édition 1943.pdf", Format::Csv),
            "Le-Petit-Prince-Edition-1943.csv"
        );
        assert_eq!(
            download_name("L'Étranger.PDF", Format::Json),
            "L-Etranger.json"
        );
        assert_eq!(
            download_name("Œuvres complètes (vol. 2).pdf", Format::Anki),
            "OEuvres-completes-vol.-2.anki.txt"
        );
        assert_eq!(download_name("cœur_ça.pdf", Format::Json), "coeur_ca.json");
    }

    #[test]
    fn ascii_name_is_safe_for_any_input() {
        let hostile = [
            "",
            ".pdf",
            "../../etc/passwd",
            "C:\\Users\\moi\\Bureau\\roman.pdf",
            "\"; filename=evil.exe",
            "a\r\nSet-Cookie: x=1",
            "...",
            "日本語の本.pdf",
            "CON.pdf",
            "lpt1",
            &"é".repeat(500),
        ];
        for name in hostile {
            let out = download_name(name, Format::Csv);
            assert!(out.ends_with(".csv"), "{name:?} -> {out:?}");
            assert!(
                out.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)),
                "{name:?} -> {out:?}"
            );
            assert!(!out.starts_with('.') && !out.starts_with('-'), "{out:?}");
            assert!(out.len() <= MAX_STEM_CHARS + ".csv".len(), "{out:?}");
        }
        assert_eq!(download_name("../../etc/passwd", Format::Csv), "passwd.csv");
        assert_eq!(
            download_name("C:\\Users\\moi\\Bureau\\roman.pdf", Format::Csv),
            "roman.csv"
        );
        assert_eq!(download_name("日本語の本.pdf", Format::Csv), "export.csv");
        assert_eq!(download_name("CON.pdf", Format::Csv), "CON_.csv");
        assert_eq!(download_name("lpt1", Format::Csv), "lpt1_.csv");
        assert_eq!(download_name("console.pdf", Format::Csv), "console.csv");
    }

    #[test]
    fn utf8_name_keeps_accents_and_composes_them() {
        assert_eq!(
            download_name_utf8("L'Étranger.pdf", Format::Csv),
            "L'Étranger.csv"
        );
        // "E" followed by a combining acute accent, as macOS stores it.
        assert_eq!(
            download_name_utf8("E\u{301}mile.pdf", Format::Json),
            "\u{c9}mile.json"
        );
        assert_eq!(
            download_name_utf8("a/b\\c:d*e?f\"g<h>i|j\r\n.pdf", Format::Csv),
            "c-d-e-f-g-h-i-j.csv"
        );
        assert_eq!(download_name_utf8(" .. ", Format::Csv), "export.csv");
    }

    #[test]
    fn content_disposition_has_both_spellings() {
        assert_eq!(
            content_disposition("L'Étranger.pdf", Format::Csv),
            "attachment; filename=\"L-Etranger.csv\"; filename*=UTF-8''L%27%C3%89tranger.csv"
        );
        let header = content_disposition("\"evil\r\n\".pdf", Format::Anki);
        assert!(header.is_ascii());
        assert!(!header.contains(['\r', '\n']));
        assert_eq!(header.matches('"').count(), 2, "{header}");
    }

    #[test]
    fn percent_encoding_keeps_attr_chars_only() {
        assert_eq!(percent_encode("a b%é"), "a%20b%25%C3%A9");
        assert_eq!(percent_encode("!#$&+-.^_`|~"), "!#$&+-.^_`|~");
        assert_eq!(percent_encode("'()*,;="), "%27%28%29%2A%2C%3B%3D");
    }
}
