//! Glyph widths of the 14 standard fonts, which a PDF may name without embedding them or
//! listing their widths (ReportLab, old printer drivers). Read once from
//! `data/std14-widths.txt`, made by `scripts/pdf-data/build.py` from Adobe's metrics.

use std::collections::HashMap;
use std::sync::OnceLock;

type Widths = HashMap<&'static str, u16>;

fn all() -> &'static HashMap<&'static str, Widths> {
    static FONTS: OnceLock<HashMap<&'static str, Widths>> = OnceLock::new();
    FONTS.get_or_init(|| {
        let mut fonts: HashMap<&'static str, Widths> = HashMap::new();
        let mut current: Option<&'static str> = None;
        for line in include_str!("data/std14-widths.txt").lines() {
            if line.starts_with('#') {
                continue;
            }
            if let Some(font) = line.strip_prefix("= ") {
                current = Some(font);
                continue;
            }
            let (Some(font), Some((glyph, width))) = (current, line.split_once(' ')) else {
                continue;
            };
            if let Ok(width) = width.parse() {
                fonts.entry(font).or_default().insert(glyph, width);
            }
        }
        fonts
    })
}

/// The widths of the standard font `base_font` names, by glyph name; `None` for any other font.
/// Subset prefixes and the names Windows gives the same faces (Arial, Times New Roman, Courier
/// New) are understood.
pub(crate) fn widths(base_font: &[u8]) -> Option<&'static Widths> {
    let name = std::str::from_utf8(base_font).ok()?;
    // "ABCDEF+Times-Roman": a subset of the font.
    let name = match name.split_once('+') {
        Some((tag, rest)) if tag.len() == 6 => rest,
        _ => name,
    };
    all().get(standard_name(name)?)
}

fn standard_name(name: &str) -> Option<&'static str> {
    let compact: String = name
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | ','))
        .collect::<String>()
        .to_ascii_lowercase();
    let compact = compact.strip_suffix("mt").unwrap_or(&compact);
    let compact = compact.strip_suffix("ps").unwrap_or(compact);
    let (family, style) = if let Some(style) = compact.strip_prefix("timesnewroman") {
        ("Times", style)
    } else if let Some(style) = compact.strip_prefix("times") {
        ("Times", style)
    } else if let Some(style) = compact.strip_prefix("helvetica") {
        ("Helvetica", style)
    } else if let Some(style) = compact.strip_prefix("arial") {
        ("Helvetica", style)
    } else if let Some(style) = compact.strip_prefix("couriernew") {
        ("Courier", style)
    } else if let Some(style) = compact.strip_prefix("courier") {
        ("Courier", style)
    } else if compact == "symbol" {
        return Some("Symbol");
    } else if compact == "zapfdingbats" {
        return Some("ZapfDingbats");
    } else {
        return None;
    };
    let style = style.strip_prefix("ps").unwrap_or(style);
    let bold = style.contains("bold");
    let slanted = style.contains("italic") || style.contains("oblique");
    Some(match (family, bold, slanted) {
        ("Times", false, false) => "Times-Roman",
        ("Times", true, false) => "Times-Bold",
        ("Times", false, true) => "Times-Italic",
        ("Times", true, true) => "Times-BoldItalic",
        ("Helvetica", false, false) => "Helvetica",
        ("Helvetica", true, false) => "Helvetica-Bold",
        ("Helvetica", false, true) => "Helvetica-Oblique",
        ("Helvetica", true, true) => "Helvetica-BoldOblique",
        (_, false, false) => "Courier",
        (_, true, false) => "Courier-Bold",
        (_, false, true) => "Courier-Oblique",
        (_, true, true) => "Courier-BoldOblique",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_fonts_and_their_aliases_have_widths() {
        let times = widths(b"Times-Roman").unwrap();
        assert_eq!(times.get("space"), Some(&250));
        assert_eq!(times.get("eacute"), Some(&444));
        assert_eq!(widths(b"ABCDEF+Times-Roman"), Some(times));
        assert_eq!(widths(b"TimesNewRomanPSMT"), Some(times));
        assert_eq!(
            widths(b"Arial,BoldItalic"),
            widths(b"Helvetica-BoldOblique")
        );
        assert_eq!(widths(b"Courier").unwrap().get("a"), Some(&600));
        assert!(widths(b"Symbol").is_some() && widths(b"ZapfDingbats").is_some());
        assert_eq!(widths(b"LMRoman10-Regular"), None);
    }
}
