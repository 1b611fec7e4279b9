//! A small reader of PDF objects for the upload's cheap checks ([`super::precheck`]): the
//! trailer, the catalog and the page tree, read where the cross-references say they are.
//! It follows lopdf's grammar, so that what the checks read is what lopdf would read, and
//! nests no deeper than lopdf does; it is not the reader of pages (lopdf and our content
//! reader are, in the sandbox). Values are only built (`build = true`) where they are needed;
//! otherwise only their extent is found.

use lopdf::{Dictionary, Object, ObjectId, StringFormat};

/// lopdf's `reader::MAX_NESTING_DEPTH`: arrays and dictionaries nested this deep fail to
/// parse.
pub(crate) const MAX_NESTING: usize = 100;
/// lopdf's `reader::MAX_BRACKET`: parentheses nested this deep in a literal string fail.
const MAX_STRING_NESTING: usize = 100;

pub(crate) fn is_whitespace(c: u8) -> bool {
    b" \t\n\r\0\x0C".contains(&c)
}

fn is_delimiter(c: u8) -> bool {
    b"()<>[]{}/%".contains(&c)
}

pub(crate) fn is_regular(c: u8) -> bool {
    !is_whitespace(c) && !is_delimiter(c)
}

/// What follows an object header (`12 0 obj`).
pub(crate) enum Body {
    Stream {
        dict: Dictionary,
        /// Offset of the first data byte (after `stream` and its end of line).
        data_start: usize,
    },
    Object(Object),
}

#[derive(Clone)]
pub(crate) struct Lexer<'a> {
    b: &'a [u8],
    pub(crate) pos: usize,
    /// Whether a value failed because it is nested deeper than lopdf reads.
    pub(crate) too_deep: bool,
    /// Just past the last end of line in `b`: a comment that starts here or later has
    /// none, so it is not space, and that is known without reading it again each time.
    eol_free_from: usize,
}

impl<'a> Lexer<'a> {
    /// Reads the end of `b` to find its last end of line: lexers on the same buffer in a
    /// loop should be made with [`Lexer::at`] instead.
    pub(crate) fn new(b: &'a [u8], pos: usize) -> Self {
        Self {
            b,
            pos,
            too_deep: false,
            eol_free_from: memchr::memrchr2(b'\r', b'\n', b).map_or(0, |at| at + 1),
        }
    }

    /// A fresh lexer on the same buffer, at `pos`.
    pub(crate) fn at(&self, pos: usize) -> Self {
        Self {
            pos,
            too_deep: false,
            ..self.clone()
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn rest(&self) -> &'a [u8] {
        self.b.get(self.pos..).unwrap_or_default()
    }

    fn tag(&mut self, t: &[u8]) -> bool {
        if self.rest().starts_with(t) {
            self.pos += t.len();
            true
        } else {
            false
        }
    }

    /// Runs `f`, putting the position back if it fails.
    fn attempt<T>(&mut self, f: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        let pos = self.pos;
        let out = f(self);
        if out.is_none() {
            self.pos = pos;
        }
        out
    }

    pub(crate) fn eol(&mut self) -> bool {
        self.tag(b"\r\n") || self.tag(b"\n") || self.tag(b"\r")
    }

    /// lopdf's `space`: runs of white space and `%` comments that end with an end of line.
    pub(crate) fn skip_space(&mut self) {
        loop {
            let start = self.pos;
            while self.peek().is_some_and(is_whitespace) {
                self.pos += 1;
            }
            if self.peek() == Some(b'%') {
                if self.pos >= self.eol_free_from {
                    // A comment without an end of line is not space to lopdf.
                    return;
                }
                let line = self.rest();
                self.pos += memchr::memchr2(b'\r', b'\n', line).unwrap_or(line.len());
                self.eol();
            }
            if self.pos == start {
                return;
            }
        }
    }

    fn digits(&mut self) -> Option<&'a [u8]> {
        let rest = self.rest();
        let n = rest.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        self.pos += n;
        Some(&rest[..n])
    }

    fn unsigned<T: std::str::FromStr>(&mut self) -> Option<T> {
        self.attempt(|l| std::str::from_utf8(l.digits()?).ok()?.parse().ok())
    }

    fn sign(&mut self) {
        if matches!(self.peek(), Some(b'+' | b'-')) {
            self.pos += 1;
        }
    }

    fn integer(&mut self) -> Option<i64> {
        let start = self.pos;
        self.attempt(|l| {
            l.sign();
            l.digits()?;
            std::str::from_utf8(&l.b[start..l.pos]).ok()?.parse().ok()
        })
    }

    fn real(&mut self) -> Option<f32> {
        let start = self.pos;
        self.attempt(|l| {
            l.sign();
            if l.digits().is_some() {
                if !l.tag(b".") {
                    return None;
                }
                let _ = l.digits();
            } else {
                if !l.tag(b".") {
                    return None;
                }
                l.digits()?;
            }
            std::str::from_utf8(&l.b[start..l.pos]).ok()?.parse().ok()
        })
    }

    fn reference(&mut self) -> Option<ObjectId> {
        self.attempt(|l| {
            let id = l.object_id()?;
            l.tag(b"R").then_some(id)
        })
    }

    /// `12 0 ` (lopdf's `object_id`: each number followed by optional space).
    fn object_id(&mut self) -> Option<ObjectId> {
        self.attempt(|l| {
            let id: u32 = l.unsigned()?;
            l.skip_space();
            let generation: u16 = l.unsigned()?;
            l.skip_space();
            Some((id, generation))
        })
    }

    fn hex_digit(c: u8) -> Option<u8> {
        char::from(c).to_digit(16).map(|d| d as u8)
    }

    fn name(&mut self, build: bool) -> Option<Vec<u8>> {
        if !self.tag(b"/") {
            return None;
        }
        let mut out = Vec::new();
        loop {
            let rest = self.rest();
            match rest.first() {
                Some(b'#') => match (rest.get(1), rest.get(2)) {
                    (Some(&h), Some(&l)) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() => {
                        if build {
                            out.push(
                                Self::hex_digit(h).unwrap_or(0) << 4
                                    | Self::hex_digit(l).unwrap_or(0),
                            );
                        }
                        self.pos += 3;
                    }
                    _ => break,
                },
                Some(&c) if is_regular(c) => {
                    if build {
                        out.push(c);
                    }
                    self.pos += 1;
                }
                _ => break,
            }
        }
        Some(out)
    }

    fn literal_string(&mut self, build: bool) -> Option<Vec<u8>> {
        self.attempt(|l| {
            if !l.tag(b"(") {
                return None;
            }
            let mut out = Vec::new();
            l.inner_literal(MAX_STRING_NESTING, build, &mut out);
            l.tag(b")").then_some(out)
        })
    }

    fn inner_literal(&mut self, depth: usize, build: bool, out: &mut Vec<u8>) {
        loop {
            let rest = self.rest();
            let Some(&c) = rest.first() else {
                return;
            };
            match c {
                b'\\' => {
                    let Some(&next) = rest.get(1) else {
                        return;
                    };
                    self.pos += 1;
                    if next.is_ascii_digit() && next < b'8' {
                        let n = rest[1..]
                            .iter()
                            .take(3)
                            .take_while(|c| (b'0'..b'8').contains(c))
                            .count();
                        let value = rest[1..=n]
                            .iter()
                            .fold(0u16, |v, d| v * 8 + u16::from(d - b'0'));
                        if build {
                            out.push(value as u8);
                        }
                        self.pos += n;
                    } else if self.eol() {
                    } else {
                        if build {
                            out.push(match next {
                                b'n' => b'\n',
                                b'r' => b'\r',
                                b't' => b'\t',
                                b'b' => 0x08,
                                b'f' => 0x0C,
                                other => other,
                            });
                        }
                        self.pos += 1;
                    }
                }
                b'(' => {
                    if depth == 0 {
                        self.too_deep = true;
                        return;
                    }
                    let save = self.pos;
                    let mark = out.len();
                    self.pos += 1;
                    if build {
                        out.push(b'(');
                    }
                    self.inner_literal(depth - 1, build, out);
                    if self.tag(b")") {
                        if build {
                            out.push(b')');
                        }
                    } else {
                        self.pos = save;
                        out.truncate(mark);
                        return;
                    }
                }
                b')' => return,
                _ => {
                    // Plain bytes and ends of line are both kept as they are.
                    let n = rest.iter().take_while(|c| !b"()\\".contains(c)).count();
                    if build {
                        out.extend_from_slice(&rest[..n]);
                    }
                    self.pos += n;
                }
            }
        }
    }

    fn hex_string(&mut self, build: bool) -> Option<Vec<u8>> {
        self.attempt(|l| {
            if !l.tag(b"<") {
                return None;
            }
            let mut out = Vec::new();
            let mut high = true;
            loop {
                let save = l.pos;
                while l.peek().is_some_and(is_whitespace) {
                    l.pos += 1;
                }
                match l.peek().and_then(Self::hex_digit) {
                    Some(d) => {
                        l.pos += 1;
                        if build {
                            if high {
                                out.push(d << 4);
                            } else if let Some(last) = out.last_mut() {
                                *last |= d;
                            }
                        }
                        high = !high;
                    }
                    None => {
                        l.pos = save;
                        break;
                    }
                }
            }
            while l.peek().is_some_and(is_whitespace) {
                l.pos += 1;
            }
            l.tag(b">").then_some(out)
        })
    }

    /// lopdf's `_direct_object(depth)`: a value, then space.
    pub(crate) fn direct_object(&mut self, depth: usize, build: bool) -> Option<Object> {
        if depth == 0 {
            self.too_deep = true;
            return None;
        }
        let object = self.direct_objects(depth - 1, build)?;
        self.skip_space();
        Some(object)
    }

    /// lopdf's `_direct_objects(depth)`: one value, the alternatives in lopdf's order.
    fn direct_objects(&mut self, depth: usize, build: bool) -> Option<Object> {
        let c = self.peek()?;
        let object = if self.tag(b"null") {
            Object::Null
        } else if self.tag(b"true") {
            Object::Boolean(true)
        } else if self.tag(b"false") {
            Object::Boolean(false)
        } else if let Some(id) = self.reference() {
            Object::Reference(id)
        } else if let Some(r) = self.real() {
            Object::Real(r)
        } else if let Some(i) = self.integer() {
            Object::Integer(i)
        } else if c == b'/' {
            Object::Name(self.name(build)?)
        } else if c == b'(' {
            Object::String(self.literal_string(build)?, StringFormat::Literal)
        } else if let Some(s) = self.hex_string(build) {
            Object::String(s, StringFormat::Hexadecimal)
        } else if c == b'[' {
            self.array(depth, build)?
        } else if c == b'<' {
            Object::Dictionary(self.dictionary(depth, build)?)
        } else {
            return None;
        };
        Some(if build { object } else { Object::Null })
    }

    fn array(&mut self, depth: usize, build: bool) -> Option<Object> {
        self.attempt(|l| {
            if !l.tag(b"[") {
                return None;
            }
            l.skip_space();
            let mut items = Vec::new();
            // lopdf tries an element even before `]`, so an empty array one level too
            // deep fails too.
            loop {
                let save = l.pos;
                match l.direct_object(depth, build) {
                    Some(item) => {
                        if build {
                            items.push(item);
                        }
                    }
                    None if l.too_deep => return None,
                    None => {
                        l.pos = save;
                        break;
                    }
                }
            }
            l.tag(b"]").then_some(Object::Array(items))
        })
    }

    /// lopdf's `_dictionary(depth)`.
    pub(crate) fn dictionary(&mut self, depth: usize, build: bool) -> Option<Dictionary> {
        self.attempt(|l| {
            if !l.tag(b"<<") {
                return None;
            }
            l.skip_space();
            let mut dict = Dictionary::new();
            loop {
                let save = l.pos;
                let entry = l.attempt(|l| {
                    let key = l.name(build)?;
                    l.skip_space();
                    let value = l.direct_object(depth, build)?;
                    Some((key, value))
                });
                match entry {
                    Some((key, value)) => {
                        if build {
                            dict.set(key, value);
                        }
                    }
                    None => {
                        l.pos = save;
                        break;
                    }
                }
            }
            l.tag(b">>").then_some(dict)
        })
    }

    /// Space, then `12 0 obj` and the space after it.
    pub(crate) fn object_header(&mut self) -> Option<ObjectId> {
        self.attempt(|l| {
            l.skip_space();
            let id = l.object_id()?;
            if !l.tag(b"obj") {
                return None;
            }
            l.skip_space();
            Some(id)
        })
    }

    /// What lopdf's `object` reads after a header: a stream (dictionary, `stream`, end of
    /// line) or any direct object.
    pub(crate) fn indirect_body(&mut self, build: bool) -> Option<Body> {
        let stream = self.attempt(|l| {
            let dict = l.dictionary(MAX_NESTING, true)?;
            l.skip_space();
            if !l.tag(b"stream") {
                return None;
            }
            while matches!(l.peek(), Some(b' ' | b'\t')) {
                l.pos += 1;
            }
            l.eol().then_some(Body::Stream {
                dict,
                data_start: l.pos,
            })
        });
        if stream.is_some() {
            return stream;
        }
        // `_direct_objects(MAX_NESTING)`, i.e. one level more than a nested value gets.
        self.attempt(|l| l.direct_objects(MAX_NESTING, build))
            .map(Body::Object)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(src: &[u8]) -> (Option<Object>, usize) {
        let mut l = Lexer::new(src, 0);
        let o = l.direct_object(MAX_NESTING, true);
        (o, l.pos)
    }

    #[test]
    fn reads_values_as_lopdf_does() {
        assert_eq!(one(b"12 0 R ").0, Some(Object::Reference((12, 0))));
        assert_eq!(one(b"12 0 obj").0, Some(Object::Integer(12)));
        assert_eq!(one(b"-3.5").0, Some(Object::Real(-3.5)));
        assert_eq!(one(b".5").0, Some(Object::Real(0.5)));
        assert_eq!(one(b"/A#20B").0, Some(Object::Name(b"A B".to_vec())));
        assert_eq!(
            one(b"(a\\(b\\)\\101(c)\\\nd)").0,
            Some(Object::String(b"a(b)A(c)d".to_vec(), StringFormat::Literal))
        );
        assert_eq!(
            one(b"<4 1 4>").0,
            Some(Object::String(b"A@".to_vec(), StringFormat::Hexadecimal))
        );
        let (dict, end) = one(b"<< /Type /Page /Kids [1 0 R 2 0 R] /N null >> rest");
        let dict = dict.unwrap();
        assert_eq!(
            dict.as_dict()
                .unwrap()
                .get(b"Kids")
                .unwrap()
                .as_array()
                .unwrap()
                .len(),
            2
        );
        assert_eq!(end, 46);
        assert_eq!(one(b"% c\n").0, None);
    }

    #[test]
    fn nesting_fails_where_lopdf_gives_up() {
        let nested = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n)).into_bytes();
        assert!(one(&nested(MAX_NESTING - 1)).0.is_some());
        assert!(one(&nested(MAX_NESTING)).0.is_none());
        let mut l = Lexer::new(b"[[]]", 0);
        assert!(l.direct_object(2, false).is_none() && l.too_deep);
        let strings = |n: usize| format!("{}{}", "(".repeat(n), ")".repeat(n)).into_bytes();
        assert!(one(&strings(MAX_STRING_NESTING)).0.is_some());
        assert!(one(&strings(MAX_STRING_NESTING + 2)).0.is_none());
    }

    #[test]
    fn a_comment_is_space_only_with_its_end_of_line() {
        let src = b"% one\r\n% two\n% three";
        let mut l = Lexer::new(src, 0);
        l.skip_space();
        assert_eq!(l.pos, 13);
        let mut l = Lexer::new(b"%%%%", 2);
        l.skip_space();
        assert_eq!(l.pos, 2);
    }

    #[test]
    fn finds_stream_bodies() {
        let src = b"4 0 obj\n<< /Length 3 >> % c\nstream \r\nabc\nendstream";
        let mut l = Lexer::new(src, 0);
        assert_eq!(l.object_header(), Some((4, 0)));
        match l.indirect_body(false) {
            Some(Body::Stream { dict, data_start }) => {
                assert_eq!(dict.get(b"Length").unwrap().as_i64().unwrap(), 3);
                assert_eq!(&src[data_start..data_start + 3], b"abc");
            }
            _ => panic!("not a stream"),
        }
    }
}
