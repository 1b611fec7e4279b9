//! Anki: a tab-separated text file with the file headers of Anki 2.1.54+, one Basic note
//! per sentence (front: the short sentence, back: the original and its page). A book with
//! chapters gets a third column of tags, one per chapter under the book's own tag
//! (`fnt::Le-Horla::03-Chapitre-III`), so that the learner can study or browse a chapter.
//!
//! Anki's text importer reads the body with a CSV reader that treats `"` as a quote and a
//! line starting with `#` as a comment, and the headers declare the fields to be HTML. So
//! every field is HTML-escaped (which also removes every `"`), a leading `#` is written as
//! an entity, tabs become spaces and line breaks become `<br>`: each note is then exactly
//! one line of two fields.

use std::fmt::Write as _;

use super::{ExportDoc, ExportError, neutralize};

pub(super) fn render(doc: &ExportDoc<'_>) -> Result<Vec<u8>, ExportError> {
    let mut out = String::with_capacity(
        doc.sentences
            .iter()
            .map(|s| {
                s.normalized.len() + s.original.len().min(super::REPEATED_ORIGINAL_MAX_CHARS) + 32
            })
            .sum::<usize>()
            + 128,
    );
    // No `#columns`: Anki matches column names against the note type's field names, which are
    // translated ("Recto/Verso" in a French Anki); without it fields map by position, front
    // then back, in every language.
    out.push_str("#separator:tab\n#html:true\n");
    out.push_str("#notetype:Basic\n");
    // One hierarchical tag per book lets the learner find or delete its cards in one go.
    let book = tag(doc.title());
    let _ = writeln!(out, "#tags:fnt::{book}");
    let chapters = !doc.chapters.is_empty();
    if chapters {
        out.push_str("#tags column:3\n");
    }
    for row in doc.rows() {
        let s = row.sentence;
        push_field(&mut out, &neutralize(&s.normalized));
        out.push('\t');
        push_field(&mut out, &neutralize(&row.original));
        let _ = write!(out, "<br><small>p. {}</small>", s.page);
        if chapters {
            out.push('\t');
            if let Some(c) = doc.chapter_of(s) {
                let _ = write!(out, "fnt::{book}::{:02}-{}", c.index, tag(&c.title));
            }
        }
        out.push('\n');
    }
    Ok(out.into_bytes())
}

/// The text as one line of HTML: escaped, with its line breaks as `<br>`.
fn push_field(out: &mut String, text: &str) {
    if text.starts_with('#') {
        out.push_str("&#35;");
    }
    let text = text.strip_prefix('#').unwrap_or(text);
    let mut chars = text.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push(' '),
            '\r' => {
                chars.next_if_eq(&'\n');
                out.push_str("<br>");
            }
            '\n' | '\u{2028}' | '\u{2029}' => out.push_str("<br>"),
            // Other control characters have no meaning in a sentence and some break
            // Anki's line-based reading.
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
}

/// A tag Anki keeps whole: ASCII letters, digits and `-`, since tags are separated by
/// spaces and `::` makes a hierarchy.
fn tag(title: &str) -> String {
    let stem = super::names::ascii_stem(title);
    let mut out = String::with_capacity(stem.len());
    for ch in stem.chars() {
        if ch.is_ascii_alphanumeric() {
            out.push(ch);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let trimmed = out.trim_matches('-');
    if trimmed.is_empty() {
        "export".to_owned()
    } else {
        trimmed.to_owned()
    }
}

#[cfg(test)]
mod tests {
    /// `#separator`, `#html`, `#notetype`, `#tags`.
    const HEADER_LINES: usize = 4;
    use super::*;
    use crate::export::{Format, render as render_format, testdata};

    fn render_text(doc: &ExportDoc<'_>) -> String {
        String::from_utf8(render_format(Format::Anki, doc).unwrap()).unwrap()
    }

    #[test]
    fn a_book_with_chapters_tags_each_note_with_its_chapter() {
        let sentences = testdata::tricky_in_chapters();
        let chapters = testdata::chapters();
        let doc = ExportDoc {
            chapters: &chapters,
            ..testdata::doc(&sentences)
        };
        let text = render_text(&doc);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[HEADER_LINES], "#tags column:3");
        let notes = &lines[HEADER_LINES + 1..];
        assert_eq!(notes.len(), sentences.len());
        let tags: Vec<&str> = notes
            .iter()
            .map(|line| {
                let fields: Vec<&str> = line.split('\t').collect();
                assert_eq!(fields.len(), 3, "{line:?}");
                fields[2]
            })
            .collect();
        let book = "fnt::Le-Petit-Prince-Edition-1943";
        assert_eq!(
            tags,
            [
                String::new(),
                String::new(),
                format!("{book}::01-Chapitre-premier-Le-depart"),
                format!("{book}::01-Chapitre-premier-Le-depart"),
                format!("{book}::02-II-Ou-vont-ils"),
                format!("{book}::02-II-Ou-vont-ils"),
            ]
        );
    }

    #[test]
    fn header_lines_then_one_two_field_line_per_note() {
        let sentences = testdata::tricky();
        let text = render_text(&testdata::doc(&sentences));
        assert!(
            !text.starts_with('\u{feff}'),
            "Anki reads headers from the first byte"
        );
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[..HEADER_LINES],
            [
                "#separator:tab",
                "#html:true",
                "#notetype:Basic",
                "#tags:fnt::Le-Petit-Prince-Edition-1943",
            ]
        );
        let notes = &lines[HEADER_LINES..];
        assert_eq!(notes.len(), sentences.len());
        for (line, s) in notes.iter().zip(&sentences) {
            let fields: Vec<&str> = line.split('\t').collect();
            assert_eq!(fields.len(), 2, "{line:?}");
            assert!(
                !line.starts_with('#'),
                "Anki would skip it as a comment: {line:?}"
            );
            assert!(
                !line.contains('"'),
                "Anki's reader would take it as a quote: {line:?}"
            );
            assert!(
                fields[1].ends_with(&format!("<br><small>p. {}</small>", s.page)),
                "{line:?}"
            );
        }
        assert!(text.ends_with("</small>\n"));
    }

    #[test]
    fn escapes_html_and_keeps_text() {
        let sentences = testdata::tricky();
        let text = render_text(&testdata::doc(&sentences));
        let notes: Vec<&str> = text.lines().skip(HEADER_LINES).collect();
        assert_eq!(
            notes[0],
            "Il était une fois.\tIl était une fois, dans un pays lointain.<br><small>p. 1</small>"
        );
        assert_eq!(
            notes[2],
            "Elle dit &quot;non&quot;, puis partit.\t\
             Elle répondit « non »;<br>puis elle partit.<br><small>p. 2</small>"
        );
        assert_eq!(
            notes[4],
            "'@moi et &lt;toi&gt; &amp; lui\t&#35;hashtag<br>suite<br><small>p. 12</small>"
        );
        assert_eq!(
            notes[5],
            "Cœur, façon, œuvre, Noël.\tÇa va ? Où ça ?<br><small>p. 13</small>"
        );
    }

    #[test]
    fn formula_cells_are_neutralised() {
        let sentences = testdata::tricky();
        let text = render_text(&testdata::doc(&sentences));
        let notes: Vec<&str> = text.lines().skip(HEADER_LINES).collect();
        assert_eq!(
            notes[1],
            "'-Bonjour, dit-il.\t'- Bonjour, dit-il en ôtant son chapeau.<br><small>p. 1</small>"
        );
        assert!(notes[3].starts_with("'=HYPERLINK(&quot;http://x&quot;)\t'+33 1 23"));
        for line in notes {
            for field in line.split('\t') {
                assert!(!crate::export::is_formula_like(field), "{field:?}");
            }
        }
    }

    #[test]
    fn line_breaks_and_controls_never_split_a_note() {
        let nasty = [testdata::sentence(
            1,
            "a\tb\rc\r\nd\ne\u{2028}f\u{0}g\u{1b}h",
            "#\"q\"\t",
            4,
        )];
        let text = render_text(&testdata::doc(&nasty));
        let notes: Vec<&str> = text.lines().skip(HEADER_LINES).collect();
        assert_eq!(
            notes,
            ["a b<br>c<br>d<br>e<br>fgh\t&#35;&quot;q&quot; <br><small>p. 4</small>"]
        );
    }

    #[test]
    fn tag_is_one_ascii_word() {
        assert_eq!(tag("L'Étranger"), "L-Etranger");
        assert_eq!(tag("Œuvres (vol. 2)"), "OEuvres-vol-2");
        assert_eq!(tag("日本語"), "export");
        assert_eq!(tag(""), "export");
    }

    #[test]
    fn renders_a_long_book() {
        let sentences = testdata::many(20_000);
        let text = render_text(&testdata::doc(&sentences));
        assert_eq!(text.lines().filter(|l| !l.starts_with('#')).count(), 20_000);
    }
}
