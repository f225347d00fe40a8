//! Manifests as the airports send them: one traveller a row under a header row, as CSV (UTF-8 or
//! GB18030) or as an XLSX workbook (its first sheet). Reading a file only maps cells to fields;
//! every rule is checked by the one path that also checks JSON registrations
//! (`transfer::travellers::check`).

use std::io::{Cursor, Read};

use actix_web::http::StatusCode;
use calamine::{DataRef, Reader, Xlsx};

use crate::domain::message::{msg, Message};
use crate::domain::traveller::{DocumentType, Language};
use crate::error::{ApiError, ApiResult, FieldError, ProblemCode};
use crate::transfer::travellers::{ManifestRow, RawTraveller, MAX_MANIFEST_ROWS};

/// A column of a manifest: its field name, the Chinese header that may stand for it, and whether
/// every manifest must have it.
pub struct Column {
    pub field: &'static str,
    pub zh: &'static str,
    pub required: bool,
}

const fn column(field: &'static str, zh: &'static str, required: bool) -> Column {
    Column { field, zh, required }
}

/// The columns of a manifest, in the template's order.
pub const COLUMNS: [Column; 12] = [
    column("full_name", "姓名", true),
    column("document_type", "证件类型", true),
    column("document_no", "证件号码", true),
    column("nationality", "国籍", true),
    column("phone", "电话", false),
    column("flight_no", "航班号", false),
    column("port_code", "入境口岸", true),
    column("arrived_at", "入境时间", true),
    column("destination_community_code", "目的社区", true),
    column("address", "住址", false),
    column("language", "语言", false),
    column("notes", "备注", false),
];

/// The media type of an XLSX workbook.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The most a workbook may unpack to, in all: a zip bomb is refused before it is read.
const MAX_UNPACKED_BYTES: u64 = 256 << 20;
/// The most files a workbook may hold.
const MAX_ENTRIES: usize = 10_000;
/// The most cells read from a sheet, empty ones included: a sheet with a million formatted but
/// empty rows is refused instead of read to the end.
const MAX_CELLS: usize = (MAX_MANIFEST_ROWS + 1) * 40;
/// The most columns a row may have values in (a manifest has 12).
const MAX_COLUMNS: usize = 64;
/// The longest text of one cell, in bytes.
const MAX_CELL_BYTES: usize = 4096;
/// The most text read from a file in all, in bytes: a shared string repeated in every cell of a
/// workbook cannot multiply into gigabytes.
const MAX_TEXT_BYTES: usize = 64 << 20;

/// The file formats a manifest may come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    /// The format a request's `Content-Type` names, if it is one of them.
    pub fn of_content_type(content_type: &str) -> Option<Format> {
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            "text/csv" => Some(Format::Csv),
            XLSX => Some(Format::Xlsx),
            _ => None,
        }
    }
}

/// Rows handed on together to whoever writes them: two of SQLite's multi-row inserts.
const CHUNK_ROWS: usize = 1800;

/// Reads a manifest in `format` (as `Reading::start` checked), handing its travellers to `take`
/// in chunks of `CHUNK_ROWS` as they are read, until the end of the file or until `take` answers
/// false. A problem of the file as a whole (its size, its header) ends the reading with an error,
/// which may come after some chunks were handed on.
fn read_each(body: &[u8], format: Format, take: impl FnMut(Vec<ManifestRow>) -> bool) -> ApiResult<()> {
    let mut rows = Rows::new(take);
    match format {
        Format::Csv => csv_rows(body, &mut rows)?,
        Format::Xlsx => xlsx_rows(body, &mut rows)?,
    }
    rows.finish()
}

/// What a reading thread hands on: a chunk of travellers, the end (`None`), or why it stopped.
pub type Chunk = ApiResult<Option<Vec<ManifestRow>>>;

/// The travellers of a manifest as a thread of their own reads them, a few chunks ahead: writing
/// them overlaps reading the rest. Dropping it stops the reading.
pub struct Reading {
    chunks: std::sync::mpsc::Receiver<Chunk>,
}

impl Reading {
    /// Starts reading `body` on a thread of its own; a file that is not what its `Content-Type`
    /// says is refused at once, before any transaction begins.
    pub fn start(body: impl AsRef<[u8]> + Send + 'static, format: Format) -> ApiResult<Reading> {
        refuse_other_formats(body.as_ref(), format)?;
        const AHEAD: usize = 4;
        let (sender, chunks) = std::sync::mpsc::sync_channel::<Chunk>(AHEAD);
        std::thread::Builder::new()
            .name("manifest-reader".into())
            .spawn(move || {
                let read = read_each(body.as_ref(), format, |chunk| {
                    sender.send(Ok(Some(chunk))).is_ok()
                });
                let _ = sender.send(read.map(|()| None));
            })
            .map_err(ApiError::internal)?;
        Ok(Reading { chunks })
    }
}

impl Iterator for Reading {
    type Item = ApiResult<Vec<ManifestRow>>;

    /// The next chunk, or the problem that ended the reading. A reader that gave up on a
    /// malformed file by panicking ends it with a 400.
    fn next(&mut self) -> Option<Self::Item> {
        match self.chunks.recv() {
            Ok(Ok(Some(chunk))) => Some(Ok(chunk)),
            Ok(Ok(None)) => None,
            Ok(Err(error)) => Some(Err(error)),
            Err(_) => Some(Err(ApiError::bad_request(msg!("manifest_unreadable")))),
        }
    }
}

fn unsupported(message: Message) -> ApiError {
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ProblemCode::UnsupportedMediaType,
        message,
    )
}

/// Files that are not what their `Content-Type` says get a clear answer before any parsing.
fn refuse_other_formats(body: &[u8], format: Format) -> ApiResult<()> {
    const ZIP: &[u8] = b"PK\x03\x04";
    const OLE2: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    if body.starts_with(OLE2) {
        return Err(unsupported(msg!("xls_file")));
    }
    match format {
        Format::Csv if body.starts_with(ZIP) => {
            Err(unsupported(msg!("zip_sent_as_csv", content_type = XLSX)))
        }
        Format::Xlsx if !body.starts_with(ZIP) => Err(unsupported(msg!("not_xlsx"))),
        _ => Ok(()),
    }
}

/// CSV text: UTF-8 with or without a byte-order mark, or GB18030 as Chinese spreadsheet programs
/// save it.
fn decode_csv(body: &[u8]) -> ApiResult<String> {
    if let Some(rest) = body.strip_prefix(b"\xEF\xBB\xBF") {
        return std::str::from_utf8(rest)
            .map(str::to_owned)
            .map_err(|e| ApiError::bad_request(msg!("csv_not_utf8", reason = e.to_string())));
    }
    if let Ok(text) = std::str::from_utf8(body) {
        return Ok(text.to_owned());
    }
    let (text, _, malformed) = encoding_rs::GB18030.decode(body);
    if malformed {
        return Err(ApiError::bad_request(msg!("csv_encoding")));
    }
    Ok(text.into_owned())
}

fn csv_rows<F: FnMut(Vec<ManifestRow>) -> bool>(body: &[u8], rows: &mut Rows<F>) -> ApiResult<()> {
    let text = decode_csv(body)?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut cells = 0usize;
    for (i, record) in reader.records().enumerate() {
        let row = i + 1;
        let record = record.map_err(|e| {
            ApiError::invalid(vec![FieldError::at_row(
                row,
                "row",
                msg!("row_unreadable", reason = e.to_string()),
            )])
        })?;
        too_many_rows(i)?;
        if record.len() > MAX_COLUMNS {
            return Err(too_wide(row));
        }
        cells += record.len();
        if cells > MAX_CELLS {
            return Err(too_many_cells());
        }
        if !rows.push(row, record.iter().map(str::to_owned).collect())? {
            break;
        }
    }
    Ok(())
}

fn too_wide(row: usize) -> ApiError {
    ApiError::invalid(vec![FieldError::at_row(
        row,
        "row",
        msg!("too_wide", max_columns = MAX_COLUMNS, columns = COLUMNS.len()),
    )])
}

fn too_many_cells() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        ProblemCode::PayloadTooLarge,
        msg!("too_many_cells", max_cells = MAX_CELLS),
    )
}

fn too_many_rows(read: usize) -> ApiResult<()> {
    if read > MAX_MANIFEST_ROWS {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ProblemCode::PayloadTooLarge,
            msg!("too_many_manifest_rows", max_rows = MAX_MANIFEST_ROWS),
        ));
    }
    Ok(())
}

/// Refuses a workbook that unpacks to more than `MAX_UNPACKED_BYTES`, measured by unpacking it,
/// not by what its directory claims.
fn check_unpacked_size(body: &[u8]) -> ApiResult<()> {
    let not_a_workbook =
        |e: zip::result::ZipError| ApiError::bad_request(msg!("xlsx_unreadable", reason = e.to_string()));
    let mut archive = zip::ZipArchive::new(Cursor::new(body)).map_err(not_a_workbook)?;
    if archive.len() > MAX_ENTRIES {
        return Err(ApiError::bad_request(msg!(
            "xlsx_too_many_files",
            max_files = MAX_ENTRIES
        )));
    }
    let mut left = MAX_UNPACKED_BYTES;
    for i in 0..archive.len() {
        let entry = archive.by_index(i).map_err(not_a_workbook)?;
        let read = std::io::copy(&mut entry.take(left + 1), &mut std::io::sink())
            .map_err(|e| ApiError::bad_request(msg!("xlsx_unreadable", reason = e.to_string())))?;
        if read > left {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ProblemCode::PayloadTooLarge,
                msg!("xlsx_too_large", max_mib = MAX_UNPACKED_BYTES >> 20),
            ));
        }
        left -= read;
    }
    Ok(())
}

fn xlsx_rows<F: FnMut(Vec<ManifestRow>) -> bool>(body: &[u8], rows: &mut Rows<F>) -> ApiResult<()> {
    check_unpacked_size(body)?;
    let unreadable =
        |e: calamine::XlsxError| ApiError::bad_request(msg!("xlsx_unreadable", reason = e.to_string()));
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(body)).map_err(unreadable)?;
    let first = workbook
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| ApiError::invalid_field("body", msg!("no_sheet")))?;
    let mut cells = workbook.worksheet_cells_reader(&first).map_err(unreadable)?;
    // The row being read: cells come row by row, left to right.
    let mut current: Option<(usize, Vec<String>)> = None;
    let (mut read, mut text_bytes, mut started) = (0usize, 0usize, 0usize);
    while let Some(cell) = cells.next_cell().map_err(unreadable)? {
        read += 1;
        if read > MAX_CELLS {
            return Err(too_many_cells());
        }
        let (row, col) = cell.get_position();
        if col as usize >= MAX_COLUMNS {
            if matches!(cell.get_value(), DataRef::Empty) {
                continue;
            }
            return Err(too_wide(row as usize + 1));
        }
        let Some(text) = cell_text(cell.get_value()).map_err(|message| {
            ApiError::invalid(vec![FieldError::at_row(
                row as usize + 1,
                column_name(col as usize),
                message,
            )])
        })?
        else {
            continue;
        };
        text_bytes += text.len();
        if text_bytes > MAX_TEXT_BYTES {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ProblemCode::PayloadTooLarge,
                msg!("xlsx_too_much_text", max_mib = MAX_TEXT_BYTES >> 20),
            ));
        }
        let row = row as usize + 1;
        if current.as_ref().is_none_or(|(r, _)| *r != row) {
            too_many_rows(started)?;
            started += 1;
            if let Some((line, values)) = current.replace((row, Vec::new())) {
                if !rows.push(line, values)? {
                    return Ok(());
                }
            }
        }
        let (_, values) = current.as_mut().expect("a row was just started");
        let col = col as usize;
        if values.len() <= col {
            values.resize(col + 1, String::new());
        }
        values[col] = text;
    }
    if let Some((line, values)) = current {
        rows.push(line, values)?;
    }
    Ok(())
}

/// A column's letters as a spreadsheet program shows them: A, B, ..., Z, AA.
fn column_name(mut col: usize) -> String {
    let mut name = Vec::new();
    loop {
        name.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    name.reverse();
    String::from_utf8(name).unwrap_or_default()
}

/// A cell as text, `None` when empty. A number becomes its digits (no exponent, no `.0`); a date
/// becomes a local time without a zone.
fn cell_text(value: &DataRef<'_>) -> Result<Option<String>, Message> {
    let too_long = |s: &str| s.len() > MAX_CELL_BYTES;
    let text = match value {
        DataRef::Empty => return Ok(None),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) if too_long(s) => {
            return Err(msg!("cell_too_long", max_bytes = MAX_CELL_BYTES))
        }
        DataRef::SharedString(s) if too_long(s) => {
            return Err(msg!("cell_too_long", max_bytes = MAX_CELL_BYTES))
        }
        DataRef::String(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_owned(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => number_text(*f),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(at) => match at.as_datetime() {
            Some(at) => at.format("%Y-%m-%dT%H:%M:%S").to_string(),
            None => return Err(msg!("date_unreadable")),
        },
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(e) => return Err(msg!("cell_error", error = e.to_string())),
    };
    Ok(Some(text).filter(|t| !t.trim().is_empty()))
}

/// A number as its digits: `13800000000`, never `1.38e10` or `13800000000.0`.
fn number_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

/// Maps the header (the first row with a value) to columns and every other row with a value to a
/// traveller, and hands the travellers on a chunk at a time.
struct Rows<F> {
    /// The column of each field, by position in the header, once the header is read.
    positions: Option<[Option<usize>; COLUMNS.len()]>,
    chunk: Vec<ManifestRow>,
    handed: usize,
    take: F,
}

impl<F: FnMut(Vec<ManifestRow>) -> bool> Rows<F> {
    fn new(take: F) -> Self {
        Rows {
            positions: None,
            chunk: Vec::new(),
            handed: 0,
            take,
        }
    }

    /// Takes a row as read; false when whoever takes the travellers wants no more.
    fn push(&mut self, line: usize, cells: Vec<String>) -> ApiResult<bool> {
        if cells.iter().all(|c| c.trim().is_empty()) {
            return Ok(true);
        }
        let Some(positions) = &self.positions else {
            self.positions = Some(header_positions(line, &cells)?);
            return Ok(true);
        };
        let get = |field: &str| {
            COLUMNS
                .iter()
                .position(|c| c.field == field)
                .and_then(|k| positions[k])
                .and_then(|i| cells.get(i))
                .map(|v| v.trim().to_owned())
                .unwrap_or_default()
        };
        let opt = |field: &str| Some(get(field)).filter(|v| !v.is_empty());
        self.chunk.push(ManifestRow::read(
            line,
            &RawTraveller {
                full_name: get("full_name"),
                document_type: {
                    let word = get("document_type");
                    DocumentType::parse(&word).ok_or(word)
                },
                document_no: get("document_no"),
                nationality: get("nationality"),
                phone: opt("phone"),
                flight_no: opt("flight_no"),
                arrived_at: get("arrived_at"),
                address: opt("address"),
                language: opt("language").map(|word| Language::parse(&word).ok_or(word)),
                notes: opt("notes"),
            },
            get("port_code"),
            get("destination_community_code"),
        ));
        if self.chunk.len() < CHUNK_ROWS {
            return Ok(true);
        }
        Ok(self.hand_on())
    }

    fn hand_on(&mut self) -> bool {
        let chunk = std::mem::take(&mut self.chunk);
        self.handed += chunk.len();
        (self.take)(chunk)
    }

    /// Hands on the last chunk; an error when the file had no header or no traveller.
    fn finish(mut self) -> ApiResult<()> {
        if self.positions.is_none() {
            return Err(ApiError::invalid_field("body", msg!("no_header_row")));
        }
        if !self.chunk.is_empty() {
            self.hand_on();
        }
        if self.handed == 0 {
            return Err(ApiError::invalid_field("body", msg!("no_rows")));
        }
        Ok(())
    }
}

/// The column of each field in a header row, or every problem of the header.
fn header_positions(header_row: usize, header: &[String]) -> ApiResult<[Option<usize>; COLUMNS.len()]> {
    let at_header = |field: &str, message: Message| FieldError::at_row(header_row, field, message);
    let mut problems = Vec::new();
    let mut positions: [Option<usize>; COLUMNS.len()] = [None; COLUMNS.len()];
    for (i, name) in header.iter().enumerate() {
        let name = name.trim().trim_start_matches('\u{feff}');
        if name.is_empty() {
            continue;
        }
        match COLUMNS
            .iter()
            .position(|c| c.field.eq_ignore_ascii_case(name) || c.zh == name)
        {
            Some(k) if positions[k].is_some() => problems.push(at_header(name, msg!("column_twice"))),
            Some(k) => positions[k] = Some(i),
            None => problems.push(at_header(name, msg!("unknown_column"))),
        }
    }
    for (k, c) in COLUMNS.iter().enumerate() {
        if c.required && positions[k].is_none() {
            problems.push(at_header(c.field, msg!("column_missing")));
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::invalid(problems));
    }
    Ok(positions)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_their_digits() {
        assert_eq!(number_text(13800000000.0), "13800000000");
        assert_eq!(number_text(1e20), "100000000000000000000");
        assert_eq!(number_text(12.5), "12.5");
        assert_eq!(number_text(-3.0), "-3");
    }

    #[test]
    fn columns_are_named_as_a_spreadsheet_shows_them() {
        assert_eq!(column_name(0), "A");
        assert_eq!(column_name(25), "Z");
        assert_eq!(column_name(26), "AA");
        assert_eq!(column_name(27), "AB");
        assert_eq!(column_name(701), "ZZ");
        assert_eq!(column_name(702), "AAA");
    }

    #[test]
    fn gb18030_reads_like_utf8() {
        let (gb, _, _) = encoding_rs::GB18030.encode("姓名,证件类型\n李伟,passport\n");
        assert_eq!(decode_csv(&gb).unwrap(), "姓名,证件类型\n李伟,passport\n");
        assert_eq!(decode_csv("\u{feff}a,b".as_bytes()).unwrap(), "a,b");
    }
}
