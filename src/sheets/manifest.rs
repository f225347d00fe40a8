//! Manifests as the airports send them: one traveller a row under a header row, as CSV (UTF-8,
//! UTF-16 with a byte-order mark, or GB18030) or as an XLSX workbook (its first sheet). Headings are
//! read by meaning and columns the service does not use are named and ignored (`fields`); values
//! are read as people write them (`values`). Every rule is then checked by the one path that also
//! checks JSON registrations (`transfer::travellers::check`).

use std::io::{Cursor, Read};

use actix_web::http::StatusCode;
use calamine::{DataRef, Reader, Xlsx};

use super::fields::{self, FIELDS};
use super::values;
use crate::domain::message::{msg, Message};
use crate::error::{ApiError, ApiResult, FieldError, ProblemCode};
use crate::transfer::travellers::{ManifestRow, RawTraveller, MAX_MANIFEST_ROWS};

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

/// A manifest as read: a traveller a row, and the columns it ignored.
pub struct Manifest {
    pub rows: Vec<ManifestRow>,
    /// The headings of the columns the service does not use (or that repeat a field), as written.
    pub ignored_columns: Vec<String>,
}

/// Reads a whole manifest in `format`, every row checked: a file that is not what its
/// `Content-Type` says, or a problem of the file as a whole (its size, its header), is an error.
/// Run before any transaction opens: reading a large file holds nothing else up.
pub fn read(body: &[u8], format: Format) -> ApiResult<Manifest> {
    refuse_other_formats(body, format)?;
    let mut rows = Rows::default();
    match format {
        Format::Csv => csv_rows(body, &mut rows)?,
        Format::Xlsx => xlsx_rows(body, &mut rows)?,
    }
    rows.finish()
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

/// CSV text: UTF-8 with or without a byte-order mark, UTF-16 with one (as spreadsheet programs
/// save "Unicode text"), or GB18030 as Chinese spreadsheet programs save it.
fn decode_csv(body: &[u8]) -> ApiResult<String> {
    for (mark, encoding) in [
        (&b"\xFF\xFE"[..], encoding_rs::UTF_16LE),
        (&b"\xFE\xFF"[..], encoding_rs::UTF_16BE),
    ] {
        if let Some(rest) = body.strip_prefix(mark) {
            let (text, malformed) = encoding.decode_without_bom_handling(rest);
            if malformed {
                return Err(ApiError::bad_request(msg!("csv_encoding")));
            }
            return Ok(text.into_owned());
        }
    }
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

fn csv_rows(body: &[u8], rows: &mut Rows) -> ApiResult<()> {
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
        rows.push(row, record.iter().map(str::to_owned).collect())?;
    }
    Ok(())
}

fn too_wide(row: usize) -> ApiError {
    ApiError::invalid(vec![FieldError::at_row(
        row,
        "row",
        msg!("too_wide", max_columns = MAX_COLUMNS, columns = FIELDS.len()),
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
/// not by what its directory claims; and, before the reader keeps anything in memory, one whose
/// XML holds a text longer than a cell may be, or whose shared strings are more or longer than a
/// manifest needs (the reader loads them all before the first cell).
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
    let too_large = |message: Message| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ProblemCode::PayloadTooLarge,
            message,
        )
    };
    let mut left = MAX_UNPACKED_BYTES;
    for i in 0..archive.len() {
        let entry = archive.by_index(i).map_err(not_a_workbook)?;
        // Named as the workbook reader finds it: either slash, any case.
        let shared = entry
            .name()
            .replace('\\', "/")
            .eq_ignore_ascii_case("xl/sharedStrings.xml");
        let mut scan = XmlScan::default();
        let read = std::io::copy(&mut entry.take(left + 1), &mut scan)
            .map_err(|e| ApiError::bad_request(msg!("xlsx_unreadable", reason = e.to_string())))?;
        if read > left {
            return Err(too_large(msg!(
                "xlsx_too_large",
                max_mib = MAX_UNPACKED_BYTES >> 20
            )));
        }
        if scan.longest_text > MAX_XML_TEXT_BYTES || scan.longest_tag > MAX_XML_TAG_BYTES {
            return Err(too_large(msg!("cell_too_long", max_bytes = MAX_CELL_BYTES)));
        }
        if shared && (scan.strings > MAX_SHARED_STRINGS || read > MAX_SHARED_STRINGS_BYTES) {
            return Err(too_large(msg!(
                "xlsx_too_many_strings",
                max_strings = MAX_SHARED_STRINGS
            )));
        }
        left -= read;
    }
    Ok(())
}

/// The most entries of a workbook's shared-strings table: every cell of the largest manifest,
/// twelve columns to a row, once.
const MAX_SHARED_STRINGS: usize = (MAX_MANIFEST_ROWS + 1) * 12;
/// The most bytes of the shared-strings table's XML.
const MAX_SHARED_STRINGS_BYTES: u64 = 24 << 20;
/// The longest text between two XML tags: a cell's text at its longest, every character escaped.
const MAX_XML_TEXT_BYTES: usize = MAX_CELL_BYTES * 6;
/// The longest tag (attributes, a comment, a CDATA section), which the reader also keeps whole.
const MAX_XML_TAG_BYTES: usize = 64 << 10;

/// What a pass over a part's XML finds, without keeping any of it: the longest text between two
/// tags, the longest tag, and the number of shared strings (`<si>` elements, with or without a
/// namespace prefix).
#[derive(Default)]
struct XmlScan {
    in_tag: bool,
    /// The local name of the tag being read (after any prefix), as far as it matters: its first
    /// bytes and its length.
    name: [u8; 3],
    name_len: usize,
    naming: bool,
    tag: usize,
    longest_tag: usize,
    text: usize,
    longest_text: usize,
    strings: usize,
}

impl std::io::Write for XmlScan {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        for &b in bytes {
            if b == b'<' {
                self.in_tag = true;
                self.naming = true;
                self.name_len = 0;
                self.text = 0;
                self.tag = 0;
                continue;
            }
            if self.in_tag {
                self.tag += 1;
                self.longest_tag = self.longest_tag.max(self.tag);
                if self.naming {
                    if b == b'>' || b == b'/' || b.is_ascii_whitespace() {
                        self.naming = false;
                        if self.name_len == 2 && &self.name[..2] == b"si" {
                            self.strings += 1;
                        }
                    } else if b == b':' {
                        // A prefix: the local name starts after it.
                        self.name_len = 0;
                    } else {
                        if self.name_len < 3 {
                            self.name[self.name_len] = b;
                        }
                        self.name_len += 1;
                    }
                }
                if b == b'>' {
                    self.in_tag = false;
                }
                continue;
            }
            self.text += 1;
            self.longest_text = self.longest_text.max(self.text);
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn xlsx_rows(body: &[u8], rows: &mut Rows) -> ApiResult<()> {
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
                rows.push(line, values)?;
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

/// Maps the header (the first row with a value) to fields and every other row with a value to a
/// traveller.
#[derive(Default)]
struct Rows {
    /// The column of each field, by position in the header, once the header is read.
    positions: Option<[Option<usize>; FIELDS.len()]>,
    ignored: Vec<String>,
    read: Vec<ManifestRow>,
}

impl Rows {
    /// Takes a row as read.
    fn push(&mut self, line: usize, cells: Vec<String>) -> ApiResult<()> {
        if cells.iter().all(|c| c.trim().is_empty()) {
            return Ok(());
        }
        let Some(positions) = &self.positions else {
            let (positions, ignored) = header_positions(line, &cells)?;
            self.positions = Some(positions);
            self.ignored = ignored;
            return Ok(());
        };
        let get = |field: &str| {
            positions[fields::position(field)]
                .and_then(|i| cells.get(i))
                .map(|v| v.trim().to_owned())
                .unwrap_or_default()
        };
        let opt = |field: &str| Some(get(field)).filter(|v| !v.is_empty());
        self.read.push(ManifestRow::read(
            line,
            &RawTraveller {
                full_name: get("full_name"),
                document_type: values::document_type(&get("document_type")),
                document_no: get("document_no"),
                nationality: values::nationality(&get("nationality")),
                phone: opt("phone"),
                flight_no: opt("flight_no"),
                arrived_at: values::time(&get("arrived_at")),
                address: opt("address"),
                language: opt("language").map(|word| values::language(&word)),
                notes: opt("notes"),
            },
            get("port_code"),
            get("destination_community_code"),
        ));
        Ok(())
    }

    /// The manifest; an error when the file had no header or no traveller.
    fn finish(self) -> ApiResult<Manifest> {
        if self.positions.is_none() {
            return Err(ApiError::invalid_field("body", msg!("no_header_row")));
        }
        if self.read.is_empty() {
            return Err(ApiError::invalid_field("body", msg!("no_rows")));
        }
        Ok(Manifest {
            rows: self.read,
            ignored_columns: self.ignored,
        })
    }
}

/// The column of each field in a header row, by the meaning of its heading, and the headings of
/// the columns ignored: those no field has, and those of a field an earlier column has. A required
/// field without a column is a problem naming it.
type Positions = [Option<usize>; FIELDS.len()];

fn header_positions(header_row: usize, header: &[String]) -> ApiResult<(Positions, Vec<String>)> {
    let mut positions: Positions = [None; FIELDS.len()];
    let mut ignored = Vec::new();
    for (i, heading) in header.iter().enumerate() {
        let heading = heading.trim().trim_start_matches('\u{feff}').trim();
        if heading.is_empty() {
            continue;
        }
        match fields::field_of_heading(heading) {
            Some(k) if positions[k].is_none() => positions[k] = Some(i),
            _ => ignored.push(heading.to_owned()),
        }
    }
    let problems: Vec<FieldError> = FIELDS
        .iter()
        .zip(positions)
        .filter(|(f, at)| f.required && at.is_none())
        .map(|(f, _)| {
            FieldError::at_row(
                header_row,
                f.name,
                msg!("column_missing", column = f.name, heading = f.zh),
            )
        })
        .collect();
    if !problems.is_empty() {
        return Err(ApiError::invalid(problems));
    }
    Ok((positions, ignored))
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
    fn a_scan_counts_shared_strings_and_measures_texts() {
        use std::io::Write;
        let mut scan = XmlScan::default();
        scan.write_all(b"<sst count=\"3\"><si><t>one</t></si><si><t xml:space=\"preserve\">tw")
            .unwrap();
        scan.write_all(b"o</t></si><si/><sheet><x:si><t>3</t></x:si><sit>")
            .unwrap();
        assert_eq!(scan.strings, 4, "a prefixed <x:si> is one too, <sit> is not");
        assert_eq!(scan.longest_text, 3);
        let mut long = XmlScan::default();
        long.write_all(b"<c><is><t>").unwrap();
        long.write_all(&[b'x'; 10_000]).unwrap();
        long.write_all(&[b'x'; 10_000]).unwrap();
        assert_eq!(long.longest_text, 20_000);
    }

    #[test]
    fn utf16_with_its_mark_reads_like_utf8() {
        let text = "姓名,证件类型\n李伟,护照\n";
        let mut le = vec![0xFF, 0xFE];
        le.extend(text.encode_utf16().flat_map(|u| u.to_le_bytes()));
        assert_eq!(decode_csv(&le).unwrap(), text);
        let mut be = vec![0xFE, 0xFF];
        be.extend(text.encode_utf16().flat_map(|u| u.to_be_bytes()));
        assert_eq!(decode_csv(&be).unwrap(), text);
    }

    #[test]
    fn gb18030_reads_like_utf8() {
        let (gb, _, _) = encoding_rs::GB18030.encode("姓名,证件类型\n李伟,passport\n");
        assert_eq!(decode_csv(&gb).unwrap(), "姓名,证件类型\n李伟,passport\n");
        assert_eq!(decode_csv("\u{feff}a,b".as_bytes()).unwrap(), "a,b");
    }
}
