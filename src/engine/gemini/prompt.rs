//! The versioned rewriting prompt and the response schema.
//!
//! The user message carries the chunk between fixed markers and the settings as `key=value`
//! lines. A model reads them as instructions; the fake server (and tests) parse them back with
//! [`parse_user_text`], so both sides agree on exactly one format.

use serde_json::{Value, json};

use crate::engine::ChunkInput;
use crate::settings::Settings;

/// Part of the cache key: a new prompt never reuses results of an old one.
pub const PROMPT_VERSION: &str = "fnt-rewrite-v1";

const SETTINGS: &str = "=====SETTINGS=====";
const BEFORE: &str = "=====CONTEXT BEFORE (do not rewrite)=====";
const CHUNK: &str = "=====CHUNK (rewrite every sentence that starts here)=====";
const AFTER: &str = "=====CONTEXT AFTER (do not rewrite)=====";
const END: &str = "=====END=====";

pub struct Prompt {
    pub system: String,
    pub user: String,
}

pub fn system_instruction(settings: &Settings) -> String {
    let limit = settings.sentence_length_limit;
    let mut rules = vec![
        "You rewrite French novels into short, complete French sentences for language learners."
            .to_owned(),
        "Rewrite every sentence that STARTS in the CHUNK section, in the order of the text. \
         Sentences that start in a CONTEXT section are context only: never rewrite them. A \
         sentence that starts in the CHUNK and ends in the context after it is rewritten whole."
            .to_owned(),
        format!(
            "Each rewritten sentence is a complete French sentence with a conjugated verb and at \
             most {limit} words. Split long sentences into several; keep the meaning, the \
             author's vocabulary and the chronology. Do not add information."
        ),
        "For every rewritten sentence, copy the original sentence it comes from exactly as it \
         stands in the text into `original`; several rewritten sentences may share one original."
            .to_owned(),
        "Skip chapter headings, page numbers and running headers.".to_owned(),
    ];
    if settings.ignore_dialogue {
        rules.push(
            "Keep quoted speech and dialogue replies whole, even when they are longer than the \
             limit."
                .to_owned(),
        );
    }
    if settings.preserve_formatting {
        rules.push("Keep quotation marks, dialogue dashes and ellipses as they are.".to_owned());
    }
    if settings.fix_hyphenation {
        rules.push("Repair words broken by hyphenation at line ends.".to_owned());
    }
    rules.push("Answer with JSON only, following the response schema.".to_owned());
    rules.join("\n")
}

/// The user message for a chunk given as text.
pub fn user_text(input: &ChunkInput, settings: &Settings) -> String {
    let before = input.text.get(..input.body_start).unwrap_or_default();
    let body = input
        .text
        .get(input.body_start..input.body_end)
        .unwrap_or_default();
    let after = input.text.get(input.body_end..).unwrap_or_default();
    format!(
        "{SETTINGS}\n{}\n{BEFORE}\n{before}\n{CHUNK}\n{body}\n{AFTER}\n{after}\n{END}\n",
        settings_lines(settings, input.first_page, input.last_page)
    )
}

/// The prompt for `input`: its text, or, in PDF mode, instructions about the attached pages.
pub fn prompt(input: &ChunkInput, settings: &Settings) -> Prompt {
    match &input.pdf {
        None => Prompt {
            system: system_instruction(settings),
            user: user_text(input, settings),
        },
        Some(pdf) => Prompt {
            system: format!(
                "{}\nThe chunk is attached as a PDF whose first page is page {} of the book. \
                 Rewrite the sentences that start on the book pages named in the CHUNK section; \
                 the other pages are context. Put the book page where each original sentence \
                 starts in `page`.",
                system_instruction(settings),
                pdf.first_page
            ),
            user: format!(
                "{SETTINGS}\n{}\npdf_first_page={}\n{BEFORE}\n\n{CHUNK}\nBook pages {}-{} of \
                 the attached PDF.\n{AFTER}\n\n{END}\n",
                settings_lines(settings, input.first_page, input.last_page),
                pdf.first_page,
                input.first_page,
                input.last_page
            ),
        },
    }
}

fn settings_lines(settings: &Settings, first_page: u32, last_page: u32) -> String {
    format!(
        "sentence_length_limit={}\nmin_sentence_length={}\nignore_dialogue={}\n\
         preserve_formatting={}\nfix_hyphenation={}\npages={first_page}-{last_page}",
        settings.sentence_length_limit,
        settings.min_sentence_length,
        settings.ignore_dialogue,
        settings.preserve_formatting,
        settings.fix_hyphenation,
    )
}

/// The answer's schema, as `responseSchema` takes it (OpenAPI subset, upper-case types).
pub fn response_schema() -> Value {
    json!({
        "type": "OBJECT",
        "properties": {
            "sentences": {
                "type": "ARRAY",
                "items": {
                    "type": "OBJECT",
                    "properties": {
                        "normalized": {"type": "STRING"},
                        "original": {"type": "STRING"}
                    },
                    "required": ["normalized", "original"],
                    "propertyOrdering": ["normalized", "original"]
                }
            }
        },
        "required": ["sentences"]
    })
}

/// The schema for PDF input: each sentence also says on which book page it starts.
pub fn response_schema_with_pages() -> Value {
    let mut schema = response_schema();
    if let Some(item) = schema.pointer_mut("/properties/sentences/items") {
        item["properties"]["page"] = json!({"type": "INTEGER"});
        item["required"] = json!(["normalized", "original", "page"]);
        item["propertyOrdering"] = json!(["normalized", "original", "page"]);
    }
    schema
}

/// A user message read back: the settings and the three text sections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedPrompt<'a> {
    pub settings: Settings,
    pub first_page: u32,
    pub last_page: u32,
    /// In PDF mode: the book page of the attached PDF's first page.
    pub pdf_first_page: Option<u32>,
    pub before: &'a str,
    pub chunk: &'a str,
    pub after: &'a str,
}

/// Parses a user message made by [`user_text`]; `None` if it is not one.
pub fn parse_user_text(text: &str) -> Option<ParsedPrompt<'_>> {
    let rest = text.strip_prefix(SETTINGS)?.strip_prefix('\n')?;
    let (settings_block, rest) = rest.split_once(&format!("\n{BEFORE}\n"))?;
    let (before, rest) = rest.split_once(&format!("\n{CHUNK}\n"))?;
    let (chunk, rest) = rest.split_once(&format!("\n{AFTER}\n"))?;
    let after = rest.strip_suffix(&format!("\n{END}\n"))?;
    let mut settings = Settings::default();
    let (mut first_page, mut last_page) = (0, 0);
    let mut pdf_first_page = None;
    for line in settings_block.lines() {
        let (key, value) = line.split_once('=')?;
        if key == "pdf_first_page" {
            pdf_first_page = Some(value.parse().ok()?);
        } else if key == "pages" {
            let (a, b) = value.split_once('-')?;
            first_page = a.parse().ok()?;
            last_page = b.parse().ok()?;
        } else {
            settings.set(key, value).ok()?;
        }
    }
    Some(ParsedPrompt {
        settings,
        first_page,
        last_page,
        pdf_first_page,
        before,
        chunk,
        after,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::PageStart;

    #[test]
    fn the_user_message_parses_back_exactly() {
        let text = "Fin d'une phrase. Début du morceau.\nSuite. Après le morceau.";
        let body_start = text.find("Début").unwrap();
        let body_end = text.find("Après").unwrap();
        let input = ChunkInput {
            index: 2,
            first_page: 7,
            last_page: 9,
            text: text.to_owned(),
            body_start,
            body_end,
            pages: vec![PageStart { offset: 0, page: 6 }],
            chapters: Vec::new(),
            pdf: None,
        };
        let settings = Settings {
            sentence_length_limit: 11,
            ignore_dialogue: true,
            ..Settings::default()
        };
        let user = user_text(&input, &settings);
        let parsed = parse_user_text(&user).expect("parses");
        assert_eq!(parsed.settings, settings);
        assert_eq!((parsed.first_page, parsed.last_page), (7, 9));
        assert_eq!(parsed.before, &text[..body_start]);
        assert_eq!(parsed.chunk, &text[body_start..body_end]);
        assert_eq!(parsed.after, &text[body_end..]);
        assert!(parse_user_text("bonjour").is_none());
    }

    #[test]
    fn the_system_instruction_follows_the_settings() {
        let plain = system_instruction(&Settings::default());
        assert!(plain.contains("at most 8 words"));
        assert!(!plain.contains("dialogue replies whole"));
        let dialogue = system_instruction(&Settings {
            ignore_dialogue: true,
            ..Settings::default()
        });
        assert!(dialogue.contains("dialogue replies whole"));
    }
}
