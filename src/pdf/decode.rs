//! Stream decoding with a ceiling: the same filters lopdf applies (`Stream::
//! decompressed_content`: FlateDecode with its raw-deflate fallback, LZWDecode, ASCII85Decode,
//! PNG predictors, in that order of stages), stopping as soon as the output would pass a
//! cap instead of allocating whatever the data asks for.

use std::borrow::Cow;
use std::io::{Read, Write};

use flate2::read::{DeflateDecoder, ZlibDecoder};
use lopdf::{Dictionary, Object, Stream};

use super::limits::MAX_PREDICTOR_ROW_BYTES;

/// Why a stream was not decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TooBig {
    /// It inflates past the cap it was given.
    Output,
    /// Its predictor parameters ask for rows longer than [`MAX_PREDICTOR_ROW_BYTES`].
    PredictorRow(u128),
}

impl std::fmt::Display for TooBig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Output => write!(f, "a stream inflates past the limit"),
            Self::PredictorRow(n) => write!(f, "a stream's predictor rows are {n} bytes long"),
        }
    }
}

/// What lopdf's `decompressed_content` would give for `data` under `dict`, or raw `data` when
/// lopdf would fail and callers fall back to the raw bytes (an unknown filter, a predictor
/// error). Never more than `cap` bytes are produced at any stage.
pub(crate) fn decode<'a>(
    dict: &Dictionary,
    data: &'a [u8],
    cap: usize,
) -> Result<Cow<'a, [u8]>, TooBig> {
    let Ok(filter) = dict.get(b"Filter") else {
        return Ok(Cow::Borrowed(data));
    };
    let filters: Vec<&[u8]> = match filter {
        Object::Name(name) => vec![name],
        Object::Array(items) => match items.iter().map(Object::as_name).collect() {
            Ok(names) => names,
            Err(_) => return Ok(Cow::Borrowed(data)),
        },
        _ => return Ok(Cow::Borrowed(data)),
    };
    // lopdf reads only a direct dictionary, and applies it after every Flate or LZW stage.
    let params = dict.get(b"DecodeParms").and_then(Object::as_dict).ok();
    let predictor = predictor(params)?;
    let mut current: Cow<'a, [u8]> = Cow::Borrowed(data);
    for filter in filters {
        let next = match filter {
            b"FlateDecode" => inflate(&current, cap)?,
            b"LZWDecode" => unlzw(&current, params, cap)?,
            b"ASCII85Decode" => match unascii85(&current, cap)? {
                Some(decoded) => decoded,
                None => return Ok(Cow::Borrowed(data)),
            },
            _ => return Ok(Cow::Borrowed(data)),
        };
        let next = match (filter, predictor) {
            (b"FlateDecode" | b"LZWDecode", Some((bpp, columns))) => {
                match lopdf::filters::png::decode_frame(&next, bpp, columns) {
                    Ok(unpredicted) => unpredicted,
                    Err(_) => return Ok(Cow::Borrowed(data)),
                }
            }
            _ => next,
        };
        current = Cow::Owned(next);
    }
    Ok(current)
}

/// Bytes per pixel and pixels per row of a PNG predictor, as lopdf computes them, once
/// they are known to be small enough for lopdf to allocate two rows.
fn predictor(params: Option<&Dictionary>) -> Result<Option<(usize, usize)>, TooBig> {
    let Some(params) = params else {
        return Ok(None);
    };
    let int =
        |key: &[u8], default: i64| params.get(key).and_then(Object::as_i64).unwrap_or(default);
    if !(10..=15).contains(&int(b"Predictor", 1)) {
        return Ok(None);
    }
    let columns = int(b"Columns", 1).max(1) as u128;
    let colors = int(b"Colors", 1).max(1) as u128;
    let bits = int(b"BitsPerComponent", 8).max(8) as u128;
    let bpp = colors * bits / 8;
    let row = bpp * columns;
    if row > MAX_PREDICTOR_ROW_BYTES as u128 {
        return Err(TooBig::PredictorRow(row));
    }
    Ok(Some((bpp as usize, columns as usize)))
}

fn read_capped(mut r: impl Read, cap: usize, out: &mut Vec<u8>) -> Result<bool, TooBig> {
    let ok = (&mut r).take(cap as u64 + 1).read_to_end(out).is_ok();
    if out.len() > cap {
        return Err(TooBig::Output);
    }
    Ok(ok)
}

/// lopdf's `decompress_zlib`: zlib, and when that fails before producing anything, raw
/// deflate after the two header bytes. Errors keep what came out before them.
pub(crate) fn inflate(input: &[u8], cap: usize) -> Result<Vec<u8>, TooBig> {
    let mut out = Vec::new();
    if input.is_empty() {
        return Ok(out);
    }
    if !read_capped(ZlibDecoder::new(input), cap, &mut out)? && out.is_empty() && input.len() > 2 {
        read_capped(DeflateDecoder::new(&input[2..]), cap, &mut out)?;
    }
    Ok(out)
}

/// A writer that refuses to grow past `cap`.
struct Capped {
    out: Vec<u8>,
    cap: usize,
    over: bool,
}

impl Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.out.len() + buf.len() > self.cap {
            self.over = true;
            return Err(std::io::Error::other("over the cap"));
        }
        self.out.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// lopdf's `decompress_lzw`, with the same decoder settings.
fn unlzw(input: &[u8], params: Option<&Dictionary>, cap: usize) -> Result<Vec<u8>, TooBig> {
    use weezl::{BitOrder, decode::Decoder};
    let early_change = params
        .and_then(|p| p.get(b"EarlyChange").ok())
        .and_then(|p| p.as_i64().ok())
        .is_none_or(|v| v != 0);
    let mut decoder = if early_change {
        Decoder::with_tiff_size_switch(BitOrder::Msb, 8)
    } else {
        Decoder::new(BitOrder::Msb, 8)
    };
    let mut sink = Capped {
        out: Vec::new(),
        cap,
        over: false,
    };
    let _ = decoder.into_stream(&mut sink).decode_all(input);
    if sink.over {
        return Err(TooBig::Output);
    }
    Ok(sink.out)
}

/// lopdf's own ASCII85 decoder, once the output is known to fit: `z` makes four bytes of
/// one, every other five characters make at most four.
fn unascii85(input: &[u8], cap: usize) -> Result<Option<Vec<u8>>, TooBig> {
    let zs = input.iter().filter(|&&c| c == b'z').count();
    let bound = zs * 4 + (input.len() - zs).div_ceil(5) * 4;
    if bound > cap {
        return Err(TooBig::Output);
    }
    let mut dict = Dictionary::new();
    dict.set("Filter", Object::Name(b"ASCII85Decode".to_vec()));
    Ok(Stream::new(dict, input.to_vec())
        .decompressed_content()
        .ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use fnt_testkit::hostile::{double_zlib_zeros, zlib_zeros};

    fn flate_dict(filter: Object) -> Dictionary {
        let mut d = Dictionary::new();
        d.set("Filter", filter);
        d
    }

    fn name(n: &str) -> Object {
        Object::Name(n.as_bytes().to_vec())
    }

    #[test]
    fn decodes_like_lopdf_below_the_cap() {
        let mut stream = Stream::new(Dictionary::new(), b"BT (Bonjour) Tj ET".repeat(50));
        stream.compress().unwrap();
        let ours = decode(&stream.dict, &stream.content, 1 << 20).unwrap();
        assert_eq!(&*ours, &stream.decompressed_content().unwrap()[..]);
        // No filter: the data itself.
        assert_eq!(&*decode(&Dictionary::new(), b"abc", 1).unwrap(), b"abc");
        // An unknown filter: lopdf fails, callers use the raw data.
        assert_eq!(
            &*decode(&flate_dict(name("DCTDecode")), b"xyz", 10).unwrap(),
            b"xyz"
        );
    }

    #[test]
    fn bombs_stop_at_the_cap() {
        let bomb = zlib_zeros(64 << 20);
        let single = flate_dict(name("FlateDecode"));
        assert_eq!(decode(&single, &bomb, 1 << 20), Err(TooBig::Output));
        assert_eq!(decode(&single, &bomb, 64 << 20).unwrap().len(), 64 << 20);
        let double = flate_dict(Object::Array(vec![
            name("FlateDecode"),
            name("FlateDecode"),
        ]));
        assert_eq!(
            decode(&double, &double_zlib_zeros(1 << 32), 16 << 20),
            Err(TooBig::Output)
        );
        assert_eq!(
            decode(&flate_dict(name("ASCII85Decode")), &b"z".repeat(1000), 3000),
            Err(TooBig::Output)
        );
        // Below the bound, lopdf's own decoder runs.
        let mut text = Stream::new(
            flate_dict(name("ASCII85Decode")),
            b"87cURD]i,\"Ebo80~>".to_vec(),
        );
        assert_eq!(
            decode(&text.dict, &text.content, 100).unwrap().as_ref(),
            &text.decompressed_content().unwrap()[..]
        );
        text.content = b"zz~>".to_vec();
        assert_eq!(decode(&text.dict, &text.content, 16).unwrap().len(), 8);
    }

    #[test]
    fn predictor_rows_are_checked_before_anything_is_allocated() {
        let mut dict = flate_dict(name("FlateDecode"));
        let mut params = Dictionary::new();
        params.set("Predictor", 12);
        params.set("Columns", 1i64 << 31);
        dict.set("DecodeParms", Object::Dictionary(params.clone()));
        assert!(matches!(
            decode(&dict, b"x", 100),
            Err(TooBig::PredictorRow(_))
        ));
        params.set("Columns", 4);
        dict.set("DecodeParms", Object::Dictionary(params));
        let mut encoder =
            flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(b"\x00abcd\x02\x01\x01\x01\x01").unwrap();
        let data = encoder.finish().unwrap();
        assert_eq!(&*decode(&dict, &data, 100).unwrap(), b"abcdbcde");
    }
}
