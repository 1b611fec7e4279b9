//! Reading order on a page. The reader splits a baseline wherever glyphs stand far apart, so a
//! page arrives as pieces; here the pieces of one line are joined again, except across the
//! gutter of a page set in columns, whose columns are then read one after the other.

use super::{Block, Line, PageLines, Stats, is_body_size, percentile, weighted_mode};

/// Joins the pieces of each line and puts the page's lines in reading order.
pub(super) fn order_page(page: &mut PageLines, stats: &Stats) {
    let gutter = gutter(&page.lines, stats);
    let lines = std::mem::take(&mut page.lines);
    let mut lines = join_pieces(lines, gutter);
    if let Some(gutter) = gutter {
        lines = by_columns(lines, gutter);
        let middle = (gutter.0 + gutter.1) / 2.0;
        let block = |side: &dyn Fn(&Line) -> bool| {
            let body: Vec<&Line> = lines
                .iter()
                .filter(|l| is_body_size(l.size, stats.body_size) && side(l))
                .collect();
            let left = weighted_mode(body.iter().map(|l| (l.x0, 1)), 0.5)?;
            let right = percentile(body.iter().map(|l| l.x1).collect(), 0.9)?;
            Some(Block { left, right })
        };
        if let (Some(left), Some(right)) = (
            block(&|l: &Line| l.x1 <= middle),
            block(&|l: &Line| l.x0 >= middle),
        ) {
            page.columns = Some((middle, [left, right]));
        }
    }
    page.lines = lines;
}

/// A vertical strip in the middle of the text that (almost) no body text crosses, with enough
/// text on either side to be columns: `(left, right)`.
fn gutter(lines: &[Line], stats: &Stats) -> Option<(f32, f32)> {
    let body: Vec<&Line> = lines
        .iter()
        .filter(|l| is_body_size(l.size, stats.body_size))
        .collect();
    if body.len() < 10 {
        return None;
    }
    let left = body.iter().map(|l| l.x0).fold(f32::INFINITY, f32::min);
    let right = body.iter().map(|l| l.x1).fold(f32::NEG_INFINITY, f32::max);
    // A page is at most 14,400 units wide (PDF's own limit); wider is a broken file.
    if !(right - left).is_finite()
        || right - left < 10.0 * stats.body_size
        || right - left > 20_000.0
    {
        return None;
    }
    // How many body lines cover each point (one-point steps) across the text's width.
    let steps = (right - left).ceil() as usize;
    let mut cover = vec![0usize; steps + 1];
    for l in &body {
        let a = ((l.x0 - left).max(0.0) as usize).min(steps);
        let b = ((l.x1 - left).max(0.0) as usize).min(steps);
        // A line drawn right to left (negative widths in a broken font) covers nothing.
        for c in cover.get_mut(a..b).into_iter().flatten() {
            *c += 1;
        }
    }
    // A heading or a wide line may cross the gutter; a column's text never does.
    let quiet = body.len() / 20;
    let (lo, hi) = (steps / 4, steps * 3 / 4);
    let mut best: Option<(usize, usize)> = None;
    let mut start = None;
    for (i, &c) in cover.iter().enumerate().take(hi + 1).skip(lo) {
        match (c <= quiet, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                if best.is_none_or(|(a, b)| i - s > b - a) {
                    best = Some((s, i));
                }
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start
        && best.is_none_or(|(a, b)| hi + 1 - s > b - a)
    {
        best = Some((s, hi + 1));
    }
    let (a, b) = best?;
    if ((b - a) as f32) < 0.6 * stats.body_size {
        return None;
    }
    let (g0, g1) = (left + a as f32, left + b as f32);
    // Columns hold lines of text on both sides; titles on the left and page numbers on the
    // right (a table of contents) are not columns.
    let column = |side: &dyn Fn(&Line) -> bool| {
        let mut widths: Vec<f32> = body
            .iter()
            .filter(|l| side(l))
            .map(|l| l.x1 - l.x0)
            .collect();
        widths.sort_by(f32::total_cmp);
        widths.len() >= 5 && widths[widths.len() / 2] >= 8.0 * stats.body_size
    };
    (column(&|l: &Line| l.x1 <= g0 + 1.0) && column(&|l: &Line| l.x0 >= g1 - 1.0))
        .then_some((g0, g1))
}

/// Joins pieces that share a baseline, left to right, unless the gutter lies between them.
/// `lines` is sorted by baseline, then from the left.
fn join_pieces(lines: Vec<Line>, gutter: Option<(f32, f32)>) -> Vec<Line> {
    let mut out: Vec<Line> = Vec::with_capacity(lines.len());
    for line in lines {
        let joins = out.last().is_some_and(|prev: &Line| {
            let same_baseline = (line.y - prev.y).abs() <= 0.25 * prev.size.max(line.size);
            let across = gutter.is_some_and(|(g0, g1)| prev.x1 <= g1 && line.x0 >= g0);
            same_baseline && line.x0 >= prev.x1 - 0.5 * line.size && !across
        });
        match out.last_mut() {
            Some(prev) if joins => {
                prev.text.push(' ');
                prev.text.push_str(&line.text);
                prev.x1 = line.x1;
                prev.size = prev.size.max(line.size);
                prev.ending = line.ending;
            }
            _ => out.push(line),
        }
    }
    out
}

/// Reading order of a page in two columns: lines that cross the gutter (headings, a full-width
/// line) divide the page into bands; each band is read left column first.
fn by_columns(lines: Vec<Line>, (g0, g1): (f32, f32)) -> Vec<Line> {
    let middle = (g0 + g1) / 2.0;
    let mut out = Vec::with_capacity(lines.len());
    let (mut left, mut right): (Vec<Line>, Vec<Line>) = (Vec::new(), Vec::new());
    for line in lines {
        if line.x1 <= middle {
            left.push(line);
        } else if line.x0 >= middle {
            right.push(line);
        } else {
            out.append(&mut left);
            out.append(&mut right);
            out.push(line);
        }
    }
    out.append(&mut left);
    out.append(&mut right);
    out
}
