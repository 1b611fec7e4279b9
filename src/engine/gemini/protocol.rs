//! The rewriting protocol v2: the versioned prompt, its response schemas and the answer's shape.
//!
//! A request carries numbered source sentences, with a little text on each side marked as
//! context, and the settings as `key=value` lines. The answer is `[{id, sentences: [...]}]`:
//! no copy of the source anywhere, which is what Google's RECITATION check blocks and what
//! doubled the output of protocol v1. With PDF input (scanned books) the model reads the
//! attached pages itself and answers per page.
//!
//! A model reads the sections as instructions; the fake server (and tests) parse them back
//! with [`parse_user_text`], so both sides agree on exactly one format.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::settings::Settings;

/// Part of the cache key: a new prompt never reuses results of an old one.
pub const PROMPT_VERSION: &str = "fnt-rewrite-v2";

const SETTINGS: &str = "=====SETTINGS=====";
const BEFORE: &str = "=====CONTEXT BEFORE (do not rewrite)=====";
const SENTENCES: &str = "=====SENTENCES (rewrite each one; answer by id)=====";
const AFTER: &str = "=====CONTEXT AFTER (do not rewrite)=====";
const CORRECTIONS: &str = "=====CORRECTIONS (why your last answer to these ids was refused)=====";
const END: &str = "=====END=====";

pub struct Prompt {
    pub system: String,
    pub user: String,
}

/// One source sentence to rewrite, by the id its answer must carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Numbered {
    pub id: u32,
    /// On one line: a sentence's own line breaks are only where the page ended.
    pub text: String,
}

impl Numbered {
    pub fn new(id: u32, text: &str) -> Self {
        Self {
            id,
            text: one_line(text),
        }
    }
}

/// What one request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub first_page: u32,
    pub last_page: u32,
    pub what: Asked,
    /// Why the last answer for these ids (pages, with PDF input) was refused; empty on a
    /// first ask.
    pub corrections: Vec<(u32, String)>,
    /// Asked again after the model refused to answer (RECITATION, SAFETY): in its own words.
    pub paraphrase: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Asked {
    /// Source sentences read from the text layer.
    Sentences {
        before: String,
        sentences: Vec<Numbered>,
        after: String,
    },
    /// Book pages `first_page..=last_page` of an attached PDF whose first page is book page
    /// `pdf_first_page`.
    Pages { pdf_first_page: u32 },
}

pub fn system_instruction(settings: &Settings, pdf: bool, paraphrase: bool) -> String {
    let limit = settings.sentence_length_limit;
    let mut rules = vec![
        "You rewrite French novels into short, complete French sentences for language learners."
            .to_owned(),
        format!(
            "Every sentence you write is a complete French sentence with a conjugated verb and \
             at most {limit} words. Cut long sentences into several; repeat the subject where a \
             clause needs one. Keep the meaning, the order of events and the author's \
             vocabulary. Add nothing."
        ),
    ];
    if pdf {
        rules.push(
            "Rewrite the sentences that start on the book pages named by `pages` in the \
             settings; the other pages of the attached PDF are context only. Answer with one \
             entry per named page, in order: {\"page\": <book page>, \"sources\": [{\"original\": \
             <the source sentence as printed>, \"sentences\": [<its rewritten sentences>]}]}. A \
             page without text has an empty `sources` list. Skip headings, page numbers and \
             running heads."
                .to_owned(),
        );
    } else {
        rules.push(
            "The SENTENCES section lists source sentences, each after its id in brackets. \
             Rewrite every one of them; the CONTEXT sections only help you understand and are \
             never rewritten. Answer with one entry per id, in order: {\"id\": <id>, \
             \"sentences\": [<its rewritten sentences>]}. Never copy the source sentences \
             themselves into the answer."
                .to_owned(),
        );
    }
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
    if paraphrase {
        rules.push(
            "Your last answer was blocked for reproducing the book. Write each sentence in your \
             own simple words: never more than four words in a row from the source."
                .to_owned(),
        );
    }
    rules.push(
        "When a CORRECTIONS section is present, your last answer to those ids failed a check \
         for the reason given: answer them again, correctly."
            .to_owned(),
    );
    rules.push("Answer with JSON only, following the response schema.".to_owned());
    rules.join("\n")
}

/// The prompt for one request.
pub fn prompt(request: &Request, settings: &Settings) -> Prompt {
    let pdf = matches!(request.what, Asked::Pages { .. });
    Prompt {
        system: system_instruction(settings, pdf, request.paraphrase),
        user: user_text(request, settings),
    }
}

/// The user message: settings, context, numbered sentences, corrections.
pub fn user_text(request: &Request, settings: &Settings) -> String {
    let mut lines = settings_lines(settings, request.first_page, request.last_page);
    if request.paraphrase {
        lines.push_str("\nparaphrase=true");
    }
    let (before, sentences, after) = match &request.what {
        Asked::Sentences {
            before,
            sentences,
            after,
        } => (
            before.as_str(),
            sentences
                .iter()
                .map(|n| format!("[{}] {}\n", n.id, n.text))
                .collect::<String>(),
            after.as_str(),
        ),
        Asked::Pages { pdf_first_page } => {
            lines.push_str(&format!("\npdf_first_page={pdf_first_page}"));
            ("", String::new(), "")
        }
    };
    let corrections: String = request
        .corrections
        .iter()
        .map(|(id, why)| format!("[{id}] {}\n", one_line(why)))
        .collect();
    format!(
        "{SETTINGS}\n{lines}\n{BEFORE}\n{}\n{SENTENCES}\n{sentences}{AFTER}\n{}\n{CORRECTIONS}\n\
         {corrections}{END}\n",
        one_line(before),
        one_line(after),
    )
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

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The answer's schema for numbered sentences, as `responseSchema` takes it (OpenAPI subset,
/// upper-case types).
pub fn response_schema() -> Value {
    json!({
        "type": "ARRAY",
        "items": {
            "type": "OBJECT",
            "properties": {
                "id": {"type": "INTEGER"},
                "sentences": {"type": "ARRAY", "items": {"type": "STRING"}}
            },
            "required": ["id", "sentences"],
            "propertyOrdering": ["id", "sentences"]
        }
    })
}

/// The answer's schema for PDF input: per page, its source sentences and their rewrites.
pub fn response_schema_for_pages() -> Value {
    json!({
        "type": "ARRAY",
        "items": {
            "type": "OBJECT",
            "properties": {
                "page": {"type": "INTEGER"},
                "sources": {
                    "type": "ARRAY",
                    "items": {
                        "type": "OBJECT",
                        "properties": {
                            "original": {"type": "STRING"},
                            "sentences": {"type": "ARRAY", "items": {"type": "STRING"}}
                        },
                        "required": ["original", "sentences"],
                        "propertyOrdering": ["original", "sentences"]
                    }
                }
            },
            "required": ["page", "sources"],
            "propertyOrdering": ["page", "sources"]
        }
    })
}

/// One entry of an answer to numbered sentences.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answered {
    pub id: u32,
    pub sentences: Vec<String>,
}

/// One entry of an answer to PDF pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageAnswer {
    pub page: u32,
    pub sources: Vec<PageSource>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageSource {
    pub original: String,
    pub sentences: Vec<String>,
}

/// An answer's entries as they came, read leniently: an id given as a numeric string is
/// read; an entry that is not an object with a numeric id and a list of strings is counted
/// in `unreadable` and left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Entries<T> {
    pub entries: Vec<T>,
    pub unreadable: usize,
}

/// Reads an answer to numbered sentences, after one repair of its JSON; `None` when no JSON
/// array can be found in it.
pub fn read_answer(text: &str) -> Option<Entries<Answered>> {
    read_entries(text, |item| {
        Some(Answered {
            id: number(item.get("id")?)?,
            sentences: strings(item.get("sentences")?)?,
        })
    })
}

/// Reads an answer to PDF pages, like [`read_answer`].
pub fn read_page_answer(text: &str) -> Option<Entries<PageAnswer>> {
    read_entries(text, |item| {
        let sources = item
            .get("sources")?
            .as_array()?
            .iter()
            .map(|source| {
                Some(PageSource {
                    original: source.get("original")?.as_str()?.to_owned(),
                    sentences: strings(source.get("sentences")?)?,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(PageAnswer {
            page: number(item.get("page")?)?,
            sources,
        })
    })
}

fn read_entries<T>(text: &str, entry: impl Fn(&Value) -> Option<T>) -> Option<Entries<T>> {
    let text = super::wire::strip_json_fences(text);
    // A model that writes a line of prose before the JSON still wrote the JSON.
    let text = text.get(text.find('[')?..)?;
    let value: Value = serde_json::from_str(text)
        .or_else(|_| serde_json::from_str(&repair_json(text)))
        .ok()?;
    let items = value.as_array()?;
    let mut out = Entries {
        entries: Vec::with_capacity(items.len()),
        unreadable: 0,
    };
    for item in items {
        match entry(item) {
            Some(e) => out.entries.push(e),
            None => out.unreadable += 1,
        }
    }
    Some(out)
}

fn number(value: &Value) -> Option<u32> {
    match value {
        Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        Value::String(s) => s
            .trim()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .ok(),
        _ => None,
    }
}

fn strings(value: &Value) -> Option<Vec<String>> {
    value
        .as_array()?
        .iter()
        .map(|s| s.as_str().map(str::to_owned))
        .collect()
}

/// Mends what models commonly break in JSON: trailing commas and unclosed brackets (an answer
/// cut at the token limit). A string left open is dropped with the entry it was in.
pub fn repair_json(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut closers = Vec::new();
    let (mut in_string, mut escaped) = (false, false);
    for c in text.chars() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' => closers.push('}'),
            '[' => closers.push(']'),
            '}' | ']' => {
                closers.pop();
                drop_trailing_comma(&mut out);
            }
            _ => {}
        }
        out.push(c);
    }
    if in_string {
        out.push('"');
    }
    drop_trailing_comma(&mut out);
    while let Some(closer) = closers.pop() {
        // A key without its value (`{"id": 3, "sentences"`) cannot be closed as it stands.
        if closer == '}' && out.trim_end().ends_with(['"', ':']) && ends_with_key(&out) {
            out.push_str(": null");
        }
        out.push(closer);
    }
    out
}

/// Whether `out` ends with an object key that has no value yet.
fn ends_with_key(out: &str) -> bool {
    let trimmed = out.trim_end();
    if trimmed.ends_with(':') {
        return false;
    }
    // `"key"` preceded by `{` or `,`: a key, not a value.
    let Some(body) = trimmed.strip_suffix('"') else {
        return false;
    };
    let Some(open) = body.rfind('"') else {
        return false;
    };
    body[..open].trim_end().ends_with(['{', ','])
}

fn drop_trailing_comma(out: &mut String) {
    let trimmed = out.trim_end().len();
    if out[..trimmed].ends_with(',') {
        out.truncate(trimmed - 1);
    }
}

/// A user message read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedPrompt<'a> {
    pub settings: Settings,
    pub first_page: u32,
    pub last_page: u32,
    /// In PDF mode: the book page of the attached PDF's first page.
    pub pdf_first_page: Option<u32>,
    pub paraphrase: bool,
    pub before: &'a str,
    pub sentences: Vec<(u32, &'a str)>,
    pub after: &'a str,
    pub corrections: Vec<(u32, &'a str)>,
}

/// Parses a user message made by [`user_text`]; `None` if it is not one.
pub fn parse_user_text(text: &str) -> Option<ParsedPrompt<'_>> {
    let rest = text.strip_prefix(SETTINGS)?.strip_prefix('\n')?;
    let (settings_block, rest) = rest.split_once(&format!("\n{BEFORE}\n"))?;
    let (before, rest) = rest.split_once(&format!("\n{SENTENCES}\n"))?;
    let (sentences, rest) = rest.split_once(&format!("{AFTER}\n"))?;
    let (after, rest) = rest.split_once(&format!("\n{CORRECTIONS}\n"))?;
    let corrections = rest.strip_suffix(&format!("{END}\n"))?;
    let mut settings = Settings::default();
    let (mut first_page, mut last_page) = (0, 0);
    let mut pdf_first_page = None;
    let mut paraphrase = false;
    for line in settings_block.lines() {
        let (key, value) = line.split_once('=')?;
        match key {
            "pdf_first_page" => pdf_first_page = Some(value.parse().ok()?),
            "paraphrase" => paraphrase = value.parse().ok()?,
            "pages" => {
                let (a, b) = value.split_once('-')?;
                first_page = a.parse().ok()?;
                last_page = b.parse().ok()?;
            }
            _ => settings.set(key, value).ok()?,
        }
    }
    Some(ParsedPrompt {
        settings,
        first_page,
        last_page,
        pdf_first_page,
        paraphrase,
        before,
        sentences: numbered_lines(sentences)?,
        after,
        corrections: numbered_lines(corrections)?,
    })
}

/// `[id] text` lines.
fn numbered_lines(block: &str) -> Option<Vec<(u32, &str)>> {
    block
        .lines()
        .map(|line| {
            let (id, text) = line.strip_prefix('[')?.split_once("] ")?;
            Some((id.parse().ok()?, text))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> Request {
        Request {
            first_page: 7,
            last_page: 9,
            what: Asked::Sentences {
                before: "Fin d'une\nphrase.".into(),
                sentences: vec![
                    Numbered::new(1, "Début du\nmorceau."),
                    Numbered::new(2, "Suite."),
                ],
                after: "Après le morceau.".into(),
            },
            corrections: vec![(2, "the sentence \"Suite.\" has no conjugated verb".into())],
            paraphrase: true,
        }
    }

    #[test]
    fn the_user_message_parses_back_exactly() {
        let settings = Settings {
            sentence_length_limit: 11,
            ignore_dialogue: true,
            ..Settings::default()
        };
        let user = user_text(&request(), &settings);
        let parsed = parse_user_text(&user).expect("parses");
        assert_eq!(parsed.settings, settings);
        assert_eq!((parsed.first_page, parsed.last_page), (7, 9));
        assert_eq!(parsed.before, "Fin d'une phrase.");
        assert_eq!(parsed.sentences, [(1, "Début du morceau."), (2, "Suite.")]);
        assert_eq!(parsed.after, "Après le morceau.");
        assert_eq!(
            parsed.corrections,
            [(2, "the sentence \"Suite.\" has no conjugated verb")]
        );
        assert!(parsed.paraphrase && parsed.pdf_first_page.is_none());
        assert!(parse_user_text("bonjour").is_none());

        let first = Request {
            corrections: Vec::new(),
            paraphrase: false,
            ..request()
        };
        let parsed_first = user_text(&first, &settings);
        let parsed_first = parse_user_text(&parsed_first).expect("parses");
        assert!(parsed_first.corrections.is_empty() && !parsed_first.paraphrase);

        let pages = Request {
            what: Asked::Pages { pdf_first_page: 6 },
            ..first
        };
        let user = user_text(&pages, &settings);
        let parsed = parse_user_text(&user).expect("parses");
        assert_eq!(parsed.pdf_first_page, Some(6));
        assert!(parsed.sentences.is_empty() && parsed.before.is_empty());
    }

    #[test]
    fn the_system_instruction_follows_the_settings() {
        let plain = system_instruction(&Settings::default(), false, false);
        assert!(plain.contains("at most 8 words"));
        assert!(!plain.contains("dialogue replies whole"));
        assert!(!plain.contains("own simple words"));
        let dialogue = system_instruction(
            &Settings {
                ignore_dialogue: true,
                ..Settings::default()
            },
            false,
            true,
        );
        assert!(dialogue.contains("dialogue replies whole"));
        assert!(dialogue.contains("own simple words"));
        assert!(system_instruction(&Settings::default(), true, false).contains("\"page\""));
    }

    #[test]
    fn answers_are_read_leniently_and_repaired_once() {
        let good = r#"[{"id":1,"sentences":["Il pleut."]},{"id":"2","sentences":[]}]"#;
        let read = read_answer(good).unwrap();
        assert_eq!(read.entries.len(), 2);
        assert_eq!(read.entries[1].id, 2);
        assert_eq!(read.unreadable, 0);
        let fenced = format!("```json\n{good}\n```");
        assert_eq!(read_answer(&fenced).unwrap().entries.len(), 2);
        let prose = format!("Voici les phrases :\n{good}");
        assert_eq!(read_answer(&prose).unwrap().entries.len(), 2);
        let trailing = r#"[{"id":1,"sentences":["Il pleut.",]},]"#;
        assert_eq!(read_answer(trailing).unwrap().entries.len(), 1);
        // Cut at the token limit: the entries before the cut survive.
        let cut = r#"[{"id":1,"sentences":["Il pleut."]},{"id":2,"sentences":["Il ne"#;
        let read = read_answer(cut).unwrap();
        assert_eq!(read.entries[0].id, 1);
        let cut_at_key = r#"[{"id":1,"sentences":["Il pleut."]},{"id":2,"sentences"#;
        let read = read_answer(cut_at_key).unwrap();
        assert_eq!((read.entries.len(), read.unreadable), (1, 1));
        let odd =
            r#"[{"id":1,"sentences":["A."]},{"sentences":["B."]},"x",{"id":-3,"sentences":[]}]"#;
        let read = read_answer(odd).unwrap();
        assert_eq!((read.entries.len(), read.unreadable), (1, 3));
        assert!(read_answer("Voici les phrases : …").is_none());
        assert!(read_answer(r#"{"sentences":[]}"#).is_none());

        let pages = r#"[{"page":7,"sources":[{"original":"Il pleut.","sentences":["Il pleut."]}]},{"page":8,"sources":[]}]"#;
        let read = read_page_answer(pages).unwrap();
        assert_eq!(read.entries.len(), 2);
        assert_eq!(read.entries[0].sources[0].original, "Il pleut.");
    }
}
