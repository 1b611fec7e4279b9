//! The in-memory spreadsheets and the Sheets semantics of changing them: values.update,
//! values.append and batchUpdate, with Google's error messages.

use serde_json::{Map, Value};

use super::errors;
use fnt::engine::gemini::wire::ErrorBody;
use fnt::export::sheets::a1::{A1Range, Cells};
use fnt::export::sheets::wire::{
    AppendValuesResponse, AutoResizeDimensionsRequest, CellFormat, DimensionRange, GridProperties,
    GridRange, RepeatCellRequest, Request, Sheet, SheetProperties, Spreadsheet,
    SpreadsheetProperties, UpdateSheetPropertiesRequest, UpdateValuesResponse,
};

const DEFAULT_ROWS: usize = 1000;
const DEFAULT_COLUMNS: usize = 26;
/// Google's limit on cells per spreadsheet.
const MAX_CELLS: usize = 10_000_000;

/// One cell's entered value.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
    Bool(bool),
    /// Entered with `USER_ENTERED` and starting with `=`; the fake never evaluates it.
    Formula(String),
}

impl Cell {
    /// What the formula bar would show.
    pub fn display(&self) -> String {
        match self {
            Self::Text(text) | Self::Formula(text) => text.clone(),
            Self::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
            Self::Number(n) => n.to_string(),
            Self::Bool(true) => "TRUE".to_owned(),
            Self::Bool(false) => "FALSE".to_owned(),
        }
    }

    /// A JSON cell of a `ValueRange`, read the way `valueInputOption` says. `None`: empty.
    pub(crate) fn from_json(value: &Value, user_entered: bool) -> Option<Option<Cell>> {
        Some(match value {
            Value::Null => None,
            Value::Bool(b) => Some(Cell::Bool(*b)),
            Value::Number(n) => Some(Cell::Number(n.as_f64()?)),
            Value::String(s) if s.is_empty() => None,
            Value::String(s) if !user_entered => Some(Cell::Text(s.clone())),
            Value::String(s) => Some(parse_user_entered(s)),
            Value::Array(_) | Value::Object(_) => return None,
        })
    }
}

/// As if typed into the sheet: formulas, numbers and booleans are recognised, a leading
/// apostrophe forces text. (Dates and currencies, which Sheets also converts, stay text here.)
fn parse_user_entered(text: &str) -> Cell {
    if let Some(literal) = text.strip_prefix('\'') {
        return Cell::Text(literal.to_owned());
    }
    if text.starts_with('=') && text.len() > 1 {
        return Cell::Formula(text.to_owned());
    }
    if text.eq_ignore_ascii_case("true") || text.eq_ignore_ascii_case("false") {
        return Cell::Bool(text.eq_ignore_ascii_case("true"));
    }
    match text.trim().parse::<f64>() {
        Ok(n) if n.is_finite() => Cell::Number(n),
        _ => Cell::Text(text.to_owned()),
    }
}

/// A sheet asked for in `spreadsheets.create`.
#[derive(Debug, Clone, Default)]
pub(crate) struct NewSheet {
    pub(crate) title: String,
    pub(crate) sheet_id: Option<i32>,
    pub(crate) grid: Option<GridProperties>,
}

/// A `repeatCell` as applied: later ones override earlier ones field by field.
#[derive(Debug, Clone)]
struct FormatRun {
    range: GridRange,
    cell: Value,
    paths: Vec<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct SheetData {
    pub(crate) sheet_id: i32,
    pub(crate) title: String,
    pub(crate) row_count: usize,
    pub(crate) column_count: usize,
    pub(crate) frozen_rows: usize,
    pub(crate) frozen_columns: usize,
    /// Row-major; rows and cells past the last value are simply absent.
    rows: Vec<Vec<Option<Cell>>>,
    formats: Vec<FormatRun>,
    pub(crate) auto_resized: Vec<DimensionRange>,
}

impl SheetData {
    pub(crate) fn new(sheet_id: i32, title: &str, grid: Option<&GridProperties>) -> Self {
        let size = |value: Option<i32>, default: usize| {
            value
                .and_then(|v| usize::try_from(v).ok())
                .filter(|&v| v > 0)
                .unwrap_or(default)
        };
        let grid = grid.cloned().unwrap_or_default();
        Self {
            sheet_id,
            title: title.to_owned(),
            row_count: size(grid.row_count, DEFAULT_ROWS),
            column_count: size(grid.column_count, DEFAULT_COLUMNS),
            frozen_rows: size(grid.frozen_row_count, 0),
            frozen_columns: size(grid.frozen_column_count, 0),
            rows: Vec::new(),
            formats: Vec::new(),
            auto_resized: Vec::new(),
        }
    }

    pub(crate) fn cell(&self, row: usize, column: usize) -> Option<&Cell> {
        self.rows.get(row)?.get(column)?.as_ref()
    }

    /// Every row up to the last with a value, each up to its last value, as displayed.
    pub(crate) fn cells(&self) -> Vec<Vec<String>> {
        let mut rows: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|row| {
                let end = row.iter().rposition(Option::is_some).map_or(0, |i| i + 1);
                row[..end]
                    .iter()
                    .map(|c| c.as_ref().map(Cell::display).unwrap_or_default())
                    .collect()
            })
            .collect();
        while rows.last().is_some_and(Vec::is_empty) {
            rows.pop();
        }
        rows
    }

    /// The effective `userEnteredFormat` of one cell.
    pub(crate) fn format_at(&self, row: usize, column: usize) -> Option<CellFormat> {
        let mut cell = Value::Object(Map::new());
        for run in &self.formats {
            if !contains(&run.range, row, column) {
                continue;
            }
            for path in &run.paths {
                if path == "*" {
                    cell = run.cell.clone();
                } else {
                    set_path(&mut cell, path, get_path(&run.cell, path).cloned());
                }
            }
        }
        serde_json::from_value(cell.get("userEnteredFormat")?.clone()).ok()
    }

    fn properties(&self, index: usize) -> SheetProperties {
        let count = |n: usize| (n > 0).then(|| i32::try_from(n).unwrap_or(i32::MAX));
        SheetProperties {
            // Google omits zeros: the default sheet's id 0 and index 0 included.
            sheet_id: (self.sheet_id != 0).then_some(self.sheet_id),
            title: self.title.clone(),
            index: count(index),
            sheet_type: "GRID".to_owned(),
            grid_properties: Some(GridProperties {
                row_count: count(self.row_count),
                column_count: count(self.column_count),
                frozen_row_count: count(self.frozen_rows),
                frozen_column_count: count(self.frozen_columns),
            }),
        }
    }

    fn write(&mut self, row: usize, column: usize, values: &[Vec<Option<Cell>>]) {
        for (i, values) in values.iter().enumerate() {
            if self.rows.len() <= row + i {
                self.rows.resize_with(row + i + 1, Vec::new);
            }
            let target = &mut self.rows[row + i];
            if target.len() < column + values.len() {
                target.resize(column + values.len(), None);
            }
            for (j, value) in values.iter().enumerate() {
                target[column + j] = value.clone();
            }
        }
    }

    fn check_grid(
        &self,
        range: &A1Range,
        last_row: usize,
        last_column: usize,
    ) -> Result<(), ErrorBody> {
        if last_row >= self.row_count || last_column >= self.column_count {
            return Err(errors::invalid_argument(format!(
                "Range ({range}) exceeds grid limits. Max rows: {}, max columns: {}",
                self.row_count, self.column_count
            )));
        }
        Ok(())
    }
}

/// One spreadsheet.
#[derive(Debug, Clone)]
pub(crate) struct Book {
    pub(crate) id: String,
    pub(crate) title: String,
    pub(crate) sheets: Vec<SheetData>,
    /// The OAuth client that created it: a `drive.file` grant reaches only its own client's
    /// files.
    pub(crate) created_by: String,
}

impl Book {
    pub(crate) fn to_wire(&self, url: String) -> Spreadsheet {
        Spreadsheet {
            spreadsheet_id: self.id.clone(),
            properties: Some(SpreadsheetProperties {
                title: self.title.clone(),
                locale: "en".to_owned(),
                auto_recalc: "ON_CHANGE".to_owned(),
                time_zone: "Etc/GMT".to_owned(),
                default_format: Some(Value::Object(Map::new())),
                spreadsheet_theme: Some(Value::Object(Map::new())),
            }),
            sheets: self
                .sheets
                .iter()
                .enumerate()
                .map(|(i, s)| Sheet {
                    properties: s.properties(i),
                })
                .collect(),
            spreadsheet_url: url,
        }
    }

    pub(crate) fn first_sheet(&self) -> Option<&SheetData> {
        self.sheets.first()
    }

    /// The sheet a range names (the first sheet when it names none) and its cells part.
    fn resolve(&self, text: &str) -> Result<(usize, A1Range), ErrorBody> {
        let unparsable = || errors::invalid_argument(format!("Unable to parse range: {text}"));
        let range = A1Range::parse(text).ok_or_else(unparsable)?;
        let index = match &range.sheet {
            None => 0,
            Some(name) => self
                .sheets
                .iter()
                .position(|s| s.title == *name)
                .ok_or_else(unparsable)?,
        };
        if index >= self.sheets.len() {
            return Err(unparsable());
        }
        Ok((index, range))
    }

    /// values.update: writes from the range's top-left corner; a range with two corners also
    /// bounds what may be written.
    pub(crate) fn update(
        &mut self,
        text: &str,
        values: &[Vec<Option<Cell>>],
    ) -> Result<UpdateValuesResponse, ErrorBody> {
        let (index, range) = self.resolve(text)?;
        let sheet = &self.sheets[index];
        let (start_row, start_column) = top_left(range.cells);
        let height = values.len();
        let width = values.iter().map(Vec::len).max().unwrap_or(0);
        let written = written_range(&sheet.title, start_row, start_column, height, width);
        if let Some(Cells { end: Some(end), .. }) = range.cells {
            let bounded = A1Range {
                sheet: Some(sheet.title.clone()),
                cells: range.cells,
            };
            if let Some(last) = end.row
                && height > 0
                && start_row + height - 1 > last as usize
            {
                return Err(errors::invalid_argument(format!(
                    "Requested writing within range [{bounded}], but tried writing to row [{}]",
                    start_row + height
                )));
            }
            if let Some(last) = end.column
                && width > 0
                && start_column + width - 1 > last as usize
            {
                return Err(errors::invalid_argument(format!(
                    "Requested writing within range [{bounded}], but tried writing to column [{}]",
                    fnt::export::sheets::a1::column_letters(
                        u32::try_from(start_column + width - 1).unwrap_or(u32::MAX)
                    )
                )));
            }
        }
        if height > 0 && width > 0 {
            sheet.check_grid(&written, start_row + height - 1, start_column + width - 1)?;
        }
        self.sheets[index].write(start_row, start_column, values);
        Ok(self.counts(written, values))
    }

    /// values.append: finds the table the range points into and writes after its last row,
    /// from its first column; `INSERT_ROWS` makes room by inserting rows.
    pub(crate) fn append(
        &mut self,
        text: &str,
        values: &[Vec<Option<Cell>>],
        insert_rows: bool,
    ) -> Result<AppendValuesResponse, ErrorBody> {
        let (index, range) = self.resolve(text)?;
        let sheet = &self.sheets[index];
        let (first_row, first_column) = top_left(range.cells);
        let last_column = range
            .cells
            .and_then(|c| c.end.and_then(|e| e.column))
            .map_or(usize::MAX, |c| c as usize);
        let mut table: Option<(usize, usize, usize, usize)> = None;
        for (r, row) in sheet.rows.iter().enumerate().skip(first_row) {
            for (c, cell) in row.iter().enumerate() {
                if cell.is_none() || c < first_column || c > last_column {
                    continue;
                }
                table = Some(match table {
                    None => (r, r, c, c),
                    Some((top, _, left, right)) => (top, r, left.min(c), right.max(c)),
                });
            }
        }
        let (write_row, write_column, table_range) = match table {
            None => (first_row, first_column, None),
            Some((top, bottom, left, right)) => (
                bottom + 1,
                left,
                Some(
                    A1Range::rectangle(
                        &sheet.title,
                        (to_u32(left), to_u32(top)),
                        (to_u32(right), to_u32(bottom)),
                    )
                    .to_string(),
                ),
            ),
        };
        let height = values.len();
        let width = values.iter().map(Vec::len).max().unwrap_or(0);
        let written = written_range(&sheet.title, write_row, write_column, height, width);
        let sheet = &mut self.sheets[index];
        if height > 0 && width > 0 {
            if insert_rows {
                if (sheet.row_count + height) * sheet.column_count > MAX_CELLS {
                    return Err(errors::invalid_argument(format!(
                        "This action would increase the number of cells in the workbook above \
                         the limit of {MAX_CELLS} cells."
                    )));
                }
                if sheet.rows.len() > write_row {
                    let empty = std::iter::repeat_with(Vec::new).take(height);
                    sheet.rows.splice(write_row..write_row, empty);
                }
                sheet.row_count = sheet.row_count.max(write_row) + height;
            }
            sheet.check_grid(&written, write_row + height - 1, write_column + width - 1)?;
            sheet.write(write_row, write_column, values);
        }
        Ok(AppendValuesResponse {
            spreadsheet_id: self.id.clone(),
            table_range,
            updates: self.counts(written, values),
        })
    }

    fn counts(&self, written: A1Range, values: &[Vec<Option<Cell>>]) -> UpdateValuesResponse {
        let width = values.iter().map(Vec::len).max().unwrap_or(0);
        let to_i32 = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
        UpdateValuesResponse {
            spreadsheet_id: self.id.clone(),
            updated_range: written.to_string(),
            updated_rows: to_i32(values.iter().filter(|r| !r.is_empty()).count()),
            updated_columns: to_i32(width),
            updated_cells: to_i32(values.iter().map(Vec::len).sum()),
        }
    }

    /// batchUpdate: applies the requests to a copy, so one invalid request leaves the book as
    /// it was. One reply per request (`{}`: these kinds reply nothing).
    pub(crate) fn batch_update(&mut self, requests: &[Request]) -> Result<Vec<Value>, ErrorBody> {
        let mut copy = self.clone();
        for (i, request) in requests.iter().enumerate() {
            let kinds = usize::from(request.repeat_cell.is_some())
                + usize::from(request.update_sheet_properties.is_some())
                + usize::from(request.auto_resize_dimensions.is_some());
            if kinds != 1 {
                return Err(errors::invalid_argument(format!(
                    "Invalid requests[{i}]: exactly one kind of request must be set, not {kinds}"
                )));
            }
            if let Some(repeat) = &request.repeat_cell {
                copy.repeat_cell(repeat)
                    .map_err(|m| invalid_request(i, "repeatCell", &m))?;
            }
            if let Some(update) = &request.update_sheet_properties {
                copy.update_sheet_properties(update)
                    .map_err(|m| invalid_request(i, "updateSheetProperties", &m))?;
            }
            if let Some(resize) = &request.auto_resize_dimensions {
                copy.auto_resize(resize)
                    .map_err(|m| invalid_request(i, "autoResizeDimensions", &m))?;
            }
        }
        *self = copy;
        Ok(vec![Value::Object(Map::new()); requests.len()])
    }

    fn sheet_mut(&mut self, sheet_id: i32) -> Result<&mut SheetData, String> {
        self.sheets
            .iter_mut()
            .find(|s| s.sheet_id == sheet_id)
            .ok_or_else(|| format!("No grid with id: {sheet_id}"))
    }

    fn repeat_cell(&mut self, request: &RepeatCellRequest) -> Result<(), String> {
        let paths = field_mask(&request.fields)?;
        let cell = serde_json::to_value(&request.cell).map_err(|e| e.to_string())?;
        for path in &paths {
            if path != "*" && !path.starts_with("userEnteredFormat") {
                return Err(format!(
                    "fake-google only stores userEnteredFormat, not '{path}'"
                ));
            }
        }
        let sheet = self.sheet_mut(request.range.sheet_id)?;
        check_grid_range(&request.range, sheet)?;
        sheet.formats.push(FormatRun {
            range: request.range,
            cell,
            paths,
        });
        Ok(())
    }

    fn update_sheet_properties(
        &mut self,
        request: &UpdateSheetPropertiesRequest,
    ) -> Result<(), String> {
        let paths = field_mask(&request.fields)?;
        let properties = &request.properties;
        let grid = properties.grid_properties.clone().unwrap_or_default();
        let sheet_id = properties.sheet_id.unwrap_or(0);
        let titles: Vec<String> = self
            .sheets
            .iter()
            .filter(|s| s.sheet_id != sheet_id)
            .map(|s| s.title.clone())
            .collect();
        let sheet = self.sheet_mut(sheet_id)?;
        let count = |n: Option<i32>| usize::try_from(n.unwrap_or(0)).unwrap_or(0);
        for path in &paths {
            let all = path == "*";
            let grid_all = all || path == "gridProperties";
            if all || path == "title" {
                if properties.title.is_empty() {
                    return Err("The sheet name cannot be empty.".to_owned());
                }
                if titles.contains(&properties.title) {
                    return Err(format!(
                        "A sheet with the name \"{}\" already exists. Please enter another name.",
                        properties.title
                    ));
                }
                sheet.title = properties.title.clone();
            }
            if grid_all || path == "gridProperties.frozenRowCount" {
                sheet.frozen_rows = count(grid.frozen_row_count);
            }
            if grid_all || path == "gridProperties.frozenColumnCount" {
                sheet.frozen_columns = count(grid.frozen_column_count);
            }
            if grid_all || path == "gridProperties.rowCount" {
                sheet.row_count = count(grid.row_count);
            }
            if grid_all || path == "gridProperties.columnCount" {
                sheet.column_count = count(grid.column_count);
            }
            let known = all
                || grid_all
                || path == "title"
                || path.strip_prefix("gridProperties.").is_some_and(|p| {
                    [
                        "frozenRowCount",
                        "frozenColumnCount",
                        "rowCount",
                        "columnCount",
                    ]
                    .contains(&p)
                });
            if !known {
                return Err(format!("fake-google does not update '{path}'"));
            }
        }
        if sheet.frozen_rows >= sheet.row_count {
            return Err("You can't freeze all visible rows on the sheet.".to_owned());
        }
        if sheet.frozen_columns >= sheet.column_count {
            return Err("You can't freeze all visible columns on the sheet.".to_owned());
        }
        Ok(())
    }

    fn auto_resize(&mut self, request: &AutoResizeDimensionsRequest) -> Result<(), String> {
        let dimensions = &request.dimensions;
        if !["ROWS", "COLUMNS"].contains(&dimensions.dimension.as_str()) {
            return Err("dimension must be ROWS or COLUMNS".to_owned());
        }
        let sheet = self.sheet_mut(dimensions.sheet_id)?;
        sheet.auto_resized.push(dimensions.clone());
        Ok(())
    }
}

fn invalid_request(index: usize, kind: &str, message: &str) -> ErrorBody {
    errors::invalid_argument(format!("Invalid requests[{index}].{kind}: {message}"))
}

fn check_grid_range(range: &GridRange, sheet: &SheetData) -> Result<(), String> {
    let bad = |start: Option<i32>, end: Option<i32>, limit: usize| {
        let start = start.unwrap_or(0);
        start < 0 || end.is_some_and(|e| e < start || usize::try_from(e).unwrap_or(0) > limit)
    };
    if bad(range.start_row_index, range.end_row_index, sheet.row_count)
        || bad(
            range.start_column_index,
            range.end_column_index,
            sheet.column_count,
        )
    {
        return Err(format!(
            "Range ({}) exceeds grid limits. Max rows: {}, max columns: {}",
            sheet.title, sheet.row_count, sheet.column_count
        ));
    }
    Ok(())
}

fn contains(range: &GridRange, row: usize, column: usize) -> bool {
    let within = |i: usize, start: Option<i32>, end: Option<i32>| {
        let i = i64::try_from(i).unwrap_or(i64::MAX);
        start.is_none_or(|s| i >= i64::from(s)) && end.is_none_or(|e| i < i64::from(e))
    };
    within(row, range.start_row_index, range.end_row_index)
        && within(column, range.start_column_index, range.end_column_index)
}

/// `userEnteredFormat(backgroundColor,textFormat)` → both paths spelled out; `a.b,c` → `a.b`, `c`.
pub(crate) fn field_mask(mask: &str) -> Result<Vec<String>, String> {
    let mask = mask.trim();
    if mask.is_empty() {
        return Err("At least one field must be specified in 'fields'.".to_owned());
    }
    let mut paths = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    let mut items = Vec::new();
    for (i, c) in mask.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.checked_sub(1).ok_or("Unbalanced ')' in field mask")?,
            ',' if depth == 0 => {
                items.push(&mask[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err("Unbalanced '(' in field mask".to_owned());
    }
    items.push(&mask[start..]);
    for item in items {
        let item = item.trim();
        match item.split_once('(') {
            Some((prefix, rest)) => {
                let inner = rest.strip_suffix(')').ok_or("Malformed field mask")?;
                for path in field_mask(inner)? {
                    paths.push(format!("{prefix}.{path}"));
                }
            }
            None if item.is_empty() => return Err("Empty path in field mask".to_owned()),
            None => paths.push(item.to_owned()),
        }
    }
    Ok(paths)
}

fn get_path<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(value, |v, key| v.get(key))
}

/// Sets (or with `None` removes) the value at a dotted path, creating objects on the way.
fn set_path(target: &mut Value, path: &str, value: Option<Value>) {
    let mut keys: Vec<&str> = path.split('.').collect();
    let Some(last) = keys.pop() else {
        return;
    };
    let mut node = target;
    for key in keys {
        let Value::Object(map) = node else {
            return;
        };
        node = map
            .entry(key.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
    }
    if let Value::Object(map) = node {
        match value {
            Some(value) => {
                map.insert(last.to_owned(), value);
            }
            None => {
                map.remove(last);
            }
        }
    }
}

fn top_left(cells: Option<Cells>) -> (usize, usize) {
    cells.map_or((0, 0), |c| {
        (
            c.start.row.map_or(0, |r| r as usize),
            c.start.column.map_or(0, |c| c as usize),
        )
    })
}

/// The rectangle `height × width` values cover from a corner, in A1 with the sheet's name.
fn written_range(sheet: &str, row: usize, column: usize, height: usize, width: usize) -> A1Range {
    let last_row = row + height.max(1) - 1;
    let last_column = column + width.max(1) - 1;
    A1Range::rectangle(
        sheet,
        (to_u32(column), to_u32(row)),
        (to_u32(last_column), to_u32(last_row)),
    )
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_masks_expand_parentheses() {
        assert_eq!(
            field_mask("userEnteredFormat(backgroundColor,textFormat)").unwrap(),
            [
                "userEnteredFormat.backgroundColor",
                "userEnteredFormat.textFormat"
            ]
        );
        assert_eq!(
            field_mask("gridProperties.frozenRowCount, title").unwrap(),
            ["gridProperties.frozenRowCount", "title"]
        );
        assert!(field_mask("").is_err());
        assert!(field_mask("a(b").is_err());
    }

    #[test]
    fn user_entered_text_is_parsed_and_raw_text_is_not() {
        let read = |s: &str, user: bool| Cell::from_json(&Value::from(s), user).unwrap();
        assert_eq!(read("=1+1", true), Some(Cell::Formula("=1+1".into())));
        assert_eq!(read("=1+1", false), Some(Cell::Text("=1+1".into())));
        assert_eq!(read("0042", true), Some(Cell::Number(42.0)));
        assert_eq!(read("0042", false), Some(Cell::Text("0042".into())));
        assert_eq!(read("'=x", true), Some(Cell::Text("=x".into())));
        assert_eq!(read("true", true), Some(Cell::Bool(true)));
        assert_eq!(read("", false), None);
        assert_eq!(Cell::Number(42.0).display(), "42");
        assert_eq!(Cell::from_json(&serde_json::json!({"a": 1}), false), None);
    }
}
