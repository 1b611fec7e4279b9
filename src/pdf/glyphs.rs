//! Glyph names and the single-byte encodings that simple fonts build on.
//!
//! Fonts without a ToUnicode map (OCR tools, old printer drivers) say what each code draws only
//! through a base encoding and /Differences glyph names; these tables turn both into
//! characters. They cover what Latin-script books use; a name outside them makes the text
//! reader read the code as nothing.

use std::collections::HashMap;
use std::sync::OnceLock;

/// Windows-1252 codes 0x80..=0x9F (`None` where it has no character).
pub const CP1252_HIGH: [Option<char>; 32] = [
    Some('€'),
    None,
    Some('‚'),
    Some('ƒ'),
    Some('„'),
    Some('…'),
    Some('†'),
    Some('‡'),
    Some('ˆ'),
    Some('‰'),
    Some('Š'),
    Some('‹'),
    Some('Œ'),
    None,
    Some('Ž'),
    None,
    None,
    Some('‘'),
    Some('’'),
    Some('“'),
    Some('”'),
    Some('•'),
    Some('–'),
    Some('—'),
    Some('˜'),
    Some('™'),
    Some('š'),
    Some('›'),
    Some('œ'),
    None,
    Some('ž'),
    Some('Ÿ'),
];

/// The character a Windows-1252 code stands for.
pub fn cp1252_char(code: u8) -> Option<char> {
    match code {
        0x20..=0x7E | 0xA0..=0xFF => Some(char::from(code)),
        0x80..=0x9F => CP1252_HIGH[usize::from(code - 0x80)],
        _ => None,
    }
}

/// Glyph names of WinAnsiEncoding, codes 32..=255 ("" where cp1252 has no character).
pub const WINANSI_GLYPHS: [&str; 224] = [
    "space",
    "exclam",
    "quotedbl",
    "numbersign",
    "dollar",
    "percent",
    "ampersand",
    "quotesingle",
    "parenleft",
    "parenright",
    "asterisk",
    "plus",
    "comma",
    "hyphen",
    "period",
    "slash",
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "colon",
    "semicolon",
    "less",
    "equal",
    "greater",
    "question",
    "at",
    "A",
    "B",
    "C",
    "D",
    "E",
    "F",
    "G",
    "H",
    "I",
    "J",
    "K",
    "L",
    "M",
    "N",
    "O",
    "P",
    "Q",
    "R",
    "S",
    "T",
    "U",
    "V",
    "W",
    "X",
    "Y",
    "Z",
    "bracketleft",
    "backslash",
    "bracketright",
    "asciicircum",
    "underscore",
    "grave",
    "a",
    "b",
    "c",
    "d",
    "e",
    "f",
    "g",
    "h",
    "i",
    "j",
    "k",
    "l",
    "m",
    "n",
    "o",
    "p",
    "q",
    "r",
    "s",
    "t",
    "u",
    "v",
    "w",
    "x",
    "y",
    "z",
    "braceleft",
    "bar",
    "braceright",
    "asciitilde",
    "",
    "Euro",
    "",
    "quotesinglbase",
    "florin",
    "quotedblbase",
    "ellipsis",
    "dagger",
    "daggerdbl",
    "circumflex",
    "perthousand",
    "Scaron",
    "guilsinglleft",
    "OE",
    "",
    "Zcaron",
    "",
    "",
    "quoteleft",
    "quoteright",
    "quotedblleft",
    "quotedblright",
    "bullet",
    "endash",
    "emdash",
    "tilde",
    "trademark",
    "scaron",
    "guilsinglright",
    "oe",
    "",
    "zcaron",
    "Ydieresis",
    "space",
    "exclamdown",
    "cent",
    "sterling",
    "currency",
    "yen",
    "brokenbar",
    "section",
    "dieresis",
    "copyright",
    "ordfeminine",
    "guillemotleft",
    "logicalnot",
    "hyphen",
    "registered",
    "macron",
    "degree",
    "plusminus",
    "twosuperior",
    "threesuperior",
    "acute",
    "mu",
    "paragraph",
    "periodcentered",
    "cedilla",
    "onesuperior",
    "ordmasculine",
    "guillemotright",
    "onequarter",
    "onehalf",
    "threequarters",
    "questiondown",
    "Agrave",
    "Aacute",
    "Acircumflex",
    "Atilde",
    "Adieresis",
    "Aring",
    "AE",
    "Ccedilla",
    "Egrave",
    "Eacute",
    "Ecircumflex",
    "Edieresis",
    "Igrave",
    "Iacute",
    "Icircumflex",
    "Idieresis",
    "Eth",
    "Ntilde",
    "Ograve",
    "Oacute",
    "Ocircumflex",
    "Otilde",
    "Odieresis",
    "multiply",
    "Oslash",
    "Ugrave",
    "Uacute",
    "Ucircumflex",
    "Udieresis",
    "Yacute",
    "Thorn",
    "germandbls",
    "agrave",
    "aacute",
    "acircumflex",
    "atilde",
    "adieresis",
    "aring",
    "ae",
    "ccedilla",
    "egrave",
    "eacute",
    "ecircumflex",
    "edieresis",
    "igrave",
    "iacute",
    "icircumflex",
    "idieresis",
    "eth",
    "ntilde",
    "ograve",
    "oacute",
    "ocircumflex",
    "otilde",
    "odieresis",
    "divide",
    "oslash",
    "ugrave",
    "uacute",
    "ucircumflex",
    "udieresis",
    "yacute",
    "thorn",
    "ydieresis",
];

/// The text a glyph name stands for: the Adobe Glyph List (and TeX's additions), `uniXXXX` and
/// `uXXXX[XX]` names, ligatures written `f_f_i`, and variants such as `a.sc` read as their base
/// glyph. `None` for a name none of these explain (`g123`, `.notdef`).
pub(crate) fn glyph_text(name: &[u8]) -> Option<String> {
    let name = std::str::from_utf8(name).ok()?;
    // "a.sc", "one.oldstyle": the part before the first period names the glyph.
    let base = match name.split_once('.') {
        Some(("", _)) => return None,
        Some((base, _)) => base,
        None => name,
    };
    if let Some(text) = glyph_list().get(base) {
        return Some(text.clone());
    }
    if base.contains('_') {
        return base
            .split('_')
            .map(|part| glyph_text(part.as_bytes()))
            .collect();
    }
    if let Some(hex) = base.strip_prefix("uni") {
        // One or more groups of four hex digits.
        if hex.is_empty() || hex.len() % 4 != 0 {
            return None;
        }
        return (0..hex.len() / 4)
            .map(|i| hex_char(hex.get(4 * i..4 * i + 4)?))
            .collect();
    }
    if let Some(hex) = base.strip_prefix('u')
        && (4..=6).contains(&hex.len())
    {
        return hex_char(hex).map(String::from);
    }
    None
}

fn hex_char(hex: &str) -> Option<char> {
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let value = u32::from_str_radix(hex, 16).ok()?;
    // Surrogates and private-use code points carry no text a reader could use.
    char::from_u32(value).filter(|c| !('\u{E000}'..='\u{F8FF}').contains(c))
}

/// Glyph name -> text, read once from `data/glyphlist.txt`.
fn glyph_list() -> &'static HashMap<&'static str, String> {
    static LIST: OnceLock<HashMap<&'static str, String>> = OnceLock::new();
    LIST.get_or_init(|| {
        include_str!("data/glyphlist.txt")
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|line| {
                let (name, codes) = line.split_once(';')?;
                let text: Option<String> = codes.split(' ').map(hex_char).collect();
                Some((name, text?))
            })
            .collect()
    })
}

/// The glyph names of a named base encoding, by code ("" where it has none).
pub(crate) fn base_encoding_names(name: &[u8]) -> Option<&'static [&'static str; 256]> {
    static TABLES: OnceLock<[[&'static str; 256]; 3]> = OnceLock::new();
    let tables = TABLES.get_or_init(|| {
        let mut tables = [[""; 256]; 3];
        for (code, glyph) in (32..).zip(WINANSI_GLYPHS) {
            tables[0][code] = glyph;
        }
        for line in include_str!("data/encodings.txt").lines() {
            let mut fields = line.split(' ');
            let (Some(encoding), Some(code), Some(glyph)) =
                (fields.next(), fields.next(), fields.next())
            else {
                continue;
            };
            let table = match encoding {
                "StandardEncoding" => 1,
                "MacRomanEncoding" => 2,
                _ => continue,
            };
            if let Some(slot) = code
                .parse::<usize>()
                .ok()
                .and_then(|c| tables[table].get_mut(c))
            {
                *slot = glyph;
            }
        }
        tables
    });
    match name {
        b"WinAnsiEncoding" => Some(&tables[0]),
        b"StandardEncoding" => Some(&tables[1]),
        b"MacRomanEncoding" => Some(&tables[2]),
        _ => None,
    }
}
