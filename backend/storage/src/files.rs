//! Reading uploaded tables: CSV (UTF-8 with or without BOM, or GB18030/GBK as Excel on Chinese
//! Windows saves it) and XLSX. Lines are numbered as a spreadsheet shows them (header = 1).
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use encoding_rs::GB18030;
use minqing_domain::account_import::AccountRow;
use minqing_domain::council::MemberRow;
use minqing_domain::division_import::{RawRow, RowError};
use minqing_domain::household::HouseholdRow;
use minqing_domain::text::{CONTROL_CHARACTER, has_forbidden};

use crate::error::{Result, StorageError};

/// A table read from a file: data rows with their line numbers, and lines that could not be
/// decoded or hold a control character (reported with the other bad rows by their reason,
/// never silently dropped).
#[derive(Debug, Default)]
pub struct Table {
    pub rows: Vec<(usize, Vec<String>)>,
    pub unreadable: Vec<(usize, &'static str)>,
}

const XLSX_MAGIC: &[u8] = b"PK\x03\x04";
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Reads a CSV or XLSX file whose header row must be `header` (case and spaces ignored).
pub fn read_table(bytes: &[u8], header: &[&str]) -> Result<Table> {
    let (head, table) = if bytes.starts_with(XLSX_MAGIC) {
        read_xlsx(bytes)?
    } else {
        read_csv(bytes)?
    };
    let matches = head.len() >= header.len()
        && head
            .iter()
            .zip(header)
            .all(|(got, want)| got.trim().eq_ignore_ascii_case(want));
    if !matches {
        return Err(StorageError::ImportUnreadable("import_bad_header"));
    }
    if table.rows.is_empty() && table.unreadable.is_empty() {
        return Err(StorageError::ImportUnreadable("import_empty"));
    }
    Ok(refuse_control_characters(table))
}

/// Moves the rows with a cell holding a character `minqing_domain::text::is_forbidden`
/// refuses (U+0000, which PostgreSQL cannot store, and the C0 controls but tab, newline and
/// return) to the unreadable lines, as `control_character`.
fn refuse_control_characters(mut table: Table) -> Table {
    let (rows, refused): (Vec<_>, Vec<_>) = std::mem::take(&mut table.rows)
        .into_iter()
        .partition(|(_, cells)| !cells.iter().any(|c| has_forbidden(c)));
    table.rows = rows;
    if !refused.is_empty() {
        let refused = refused
            .into_iter()
            .map(|(line, _)| (line, CONTROL_CHARACTER));
        table.unreadable.extend(refused);
        table.unreadable.sort_unstable();
    }
    table
}

/// Decodes the text: UTF-8 when the file is UTF-8 (a line that is not becomes undecodable),
/// else GB18030 line by line. Undecodable lines are blanked so line numbers stay true.
fn decode(bytes: &[u8]) -> (String, Vec<usize>) {
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    if let Ok(text) = std::str::from_utf8(bytes) {
        return (text.to_owned(), Vec::new());
    }
    let lines: Vec<&[u8]> = bytes.split_inclusive(|b| *b == b'\n').collect();
    let utf8_evidence = lines
        .iter()
        .any(|l| !l.is_ascii() && std::str::from_utf8(l).is_ok());
    let mut text = String::with_capacity(bytes.len() * 3 / 2);
    let mut bad = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let decoded = if utf8_evidence {
            std::str::from_utf8(line)
                .ok()
                .map(std::borrow::Cow::Borrowed)
        } else {
            GB18030.decode_without_bom_handling_and_without_replacement(line)
        };
        match decoded {
            Some(s) => text.push_str(&s),
            None => {
                bad.push(i + 1);
                text.push('\n');
            }
        }
    }
    (text, bad)
}

fn read_csv(bytes: &[u8]) -> Result<(Vec<String>, Table)> {
    let (text, undecodable) = decode(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut head = None;
    let mut table = Table {
        unreadable: undecodable
            .into_iter()
            .map(|l| (l, "undecodable"))
            .collect(),
        ..Default::default()
    };
    // Line numbers from byte offsets: csv's own line count drifts on CRLF and blank lines.
    let newlines: Vec<usize> = text
        .bytes()
        .enumerate()
        .filter(|(_, b)| *b == b'\n')
        .map(|(i, _)| i)
        .collect();
    // A record's position can sit on the line break before it (CRLF, skipped blank lines).
    let raw = text.as_bytes();
    let line_of = |mut byte: usize| {
        while byte < raw.len() && matches!(raw[byte], b'\r' | b'\n') {
            byte += 1;
        }
        newlines.partition_point(|&n| n < byte) + 1
    };
    for record in reader.records() {
        let record = record.map_err(|_| StorageError::ImportUnreadable("import_unreadable"))?;
        let line = record.position().map_or(0, |p| line_of(p.byte() as usize));
        let cells: Vec<String> = record.iter().map(str::to_owned).collect();
        if head.is_none() {
            if line != 1 {
                // Undecodable header: nothing to check the columns against.
                return Err(StorageError::ImportUnreadable("import_bad_header"));
            }
            head = Some(cells);
        } else if cells.iter().any(|c| !c.trim().is_empty()) {
            table.rows.push((line, cells));
        }
    }
    Ok((head.unwrap_or_default(), table))
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        // Excel keeps long digit strings such as division codes as numbers.
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Int(i) => i.to_string(),
        other => other.to_string(),
    }
}

fn read_xlsx(bytes: &[u8]) -> Result<(Vec<String>, Table)> {
    let unreadable = |_| StorageError::ImportUnreadable("import_unreadable");
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).map_err(unreadable)?;
    let range = book
        .worksheet_range_at(0)
        .ok_or(StorageError::ImportUnreadable("import_empty"))?
        .map_err(|_| StorageError::ImportUnreadable("import_unreadable"))?;
    let first_line = range.start().map_or(1, |(row, _)| row as usize + 1);
    let mut head = Vec::new();
    let mut table = Table::default();
    for (i, row) in range.rows().enumerate() {
        let cells: Vec<String> = row.iter().map(cell_text).collect();
        if i == 0 {
            head = cells;
        } else if cells.iter().any(|c| !c.trim().is_empty()) {
            table.rows.push((first_line + i, cells));
        }
    }
    Ok((head, table))
}

pub const DIVISION_HEADER: [&str; 4] = ["code", "parent_code", "level", "name"];

/// A division list (`code,parent_code,level,name`) as rows for the import planner, plus the
/// rows that cannot be read at all.
pub fn read_division_file(bytes: &[u8]) -> Result<(Vec<RawRow>, Vec<RowError>)> {
    let table = read_table(bytes, &DIVISION_HEADER)?;
    let mut errors = undecodable_rows(&table);
    let mut rows = Vec::with_capacity(table.rows.len());
    for (line, cells) in table.rows {
        if cells.len() != DIVISION_HEADER.len() {
            errors.push(RowError {
                line,
                code: cells.first().cloned().unwrap_or_default(),
                reason: "wrong_column_count".into(),
            });
            continue;
        }
        let mut cells = cells.into_iter();
        let mut next = || cells.next().unwrap_or_default();
        rows.push(RawRow {
            line,
            code: next(),
            parent_code: next(),
            level: next(),
            name: next(),
        });
    }
    Ok((rows, errors))
}

pub const ACCOUNT_HEADER: [&str; 4] = ["username", "display_name", "role", "unit_code"];

/// An account list (`username,display_name,role,unit_code[,password]`), one grant a row.
pub fn read_account_file(bytes: &[u8]) -> Result<(Vec<AccountRow>, Vec<RowError>)> {
    let table = read_table(bytes, &ACCOUNT_HEADER).map_err(own_header(ACCOUNT_BAD_HEADER))?;
    let errors = undecodable_rows(&table);
    let rows = table
        .rows
        .into_iter()
        .map(|(line, cells)| {
            let cell = |i: usize| cells.get(i).cloned().unwrap_or_default();
            AccountRow {
                line,
                username: cell(0),
                display_name: cell(1),
                role: cell(2),
                unit_code: cell(3),
                password: cell(4),
            }
        })
        .collect();
    Ok((rows, errors))
}

/// A member list's columns, as API names or as the export's Chinese titles (a file exported
/// from Minqing imports again). `term_end`, `organisation` and `phone` may be left out.
pub const MEMBER_HEADER: [&str; 8] = [
    "unit_code",
    "name",
    "category",
    "role",
    "term_start",
    "term_end",
    "organisation",
    "phone",
];
/// A member export's columns: the import's, under their Chinese titles, then the unit's name.
pub const MEMBER_EXPORT_HEADER: [&str; 9] = [
    "单位代码",
    "姓名",
    "类别",
    "职务",
    "任期开始",
    "任期结束",
    "工作单位",
    "联系电话",
    "单位",
];

/// The rows of a file headed either `header` or `or_header` (their required first columns),
/// each made by `row` from its line number and a cell reader (blank past the row's end), and
/// the lines that could not be decoded.
/// A wrong header is refused as `bad_header`, the code whose words name this file's header.
fn read_rows<T>(
    bytes: &[u8],
    (header, or_header): (&[&str], &[&str]),
    bad_header: &'static str,
    row: impl Fn(usize, &dyn Fn(usize) -> String) -> T,
) -> Result<(Vec<T>, Vec<RowError>)> {
    let table = match read_table(bytes, header) {
        Err(StorageError::ImportUnreadable("import_bad_header")) => {
            read_table(bytes, or_header).map_err(own_header(bad_header))?
        }
        other => other.map_err(own_header(bad_header))?,
    };
    let errors = undecodable_rows(&table);
    let rows = table
        .rows
        .into_iter()
        .map(|(line, cells)| row(line, &|i| cells.get(i).cloned().unwrap_or_default()))
        .collect();
    Ok((rows, errors))
}

/// The codes of a wrong header in a member list, a household register and an account list.
const MEMBER_BAD_HEADER: &str = "member_bad_header";
const HOUSEHOLD_BAD_HEADER: &str = "household_bad_header";
const ACCOUNT_BAD_HEADER: &str = "account_bad_header";

/// `read_table`'s `import_bad_header` (whose words name the division file's header) as the
/// code naming the header of the file being read.
fn own_header(code: &'static str) -> impl Fn(StorageError) -> StorageError {
    move |e| match e {
        StorageError::ImportUnreadable("import_bad_header") => StorageError::ImportUnreadable(code),
        other => other,
    }
}

/// A council member list (see [`MEMBER_HEADER`]).
pub fn read_member_file(bytes: &[u8]) -> Result<(Vec<MemberRow>, Vec<RowError>)> {
    read_rows(
        bytes,
        (&MEMBER_HEADER[..5], &MEMBER_EXPORT_HEADER[..5]),
        MEMBER_BAD_HEADER,
        |line, cell| MemberRow {
            line,
            unit_code: cell(0),
            name: cell(1),
            category: cell(2),
            role: cell(3),
            term_start: cell(4),
            term_end: cell(5),
            organisation: cell(6),
            phone: cell(7),
        },
    )
}

/// A household register's columns, by API name; `phone`, `flags` and `members` may be left out.
pub const HOUSEHOLD_HEADER: [&str; 5] = ["address", "head_name", "phone", "flags", "members"];
/// The same under their Chinese titles (as a community's own spreadsheet heads them).
pub const HOUSEHOLD_HEADER_ZH: [&str; 5] = ["住址", "户主", "联系电话", "标记", "人数"];

/// A household register (see [`HOUSEHOLD_HEADER`]).
pub fn read_household_file(bytes: &[u8]) -> Result<(Vec<HouseholdRow>, Vec<RowError>)> {
    read_rows(
        bytes,
        (&HOUSEHOLD_HEADER[..2], &HOUSEHOLD_HEADER_ZH[..2]),
        HOUSEHOLD_BAD_HEADER,
        |line, cell| HouseholdRow {
            line,
            address: cell(0),
            head_name: cell(1),
            phone: cell(2),
            flags: cell(3),
            members: cell(4),
        },
    )
}

fn undecodable_rows(table: &Table) -> Vec<RowError> {
    table
        .unreadable
        .iter()
        .map(|(line, reason)| RowError {
            line: *line,
            code: String::new(),
            reason: (*reason).into(),
        })
        .collect()
}

/// A holiday schedule (`date,kind,name`, as the State Council's list is typed up) in CSV, UTF-8
/// or GB18030. Every bad line is reported; nothing is kept from a file with one.
pub fn read_calendar_file(
    bytes: &[u8],
) -> Result<Vec<minqing_domain::calendar::CalendarEntry>, StorageError> {
    if bytes.starts_with(XLSX_MAGIC) {
        return Err(StorageError::ImportUnreadable("import_csv_only"));
    }
    let (text, undecodable) = decode(bytes);
    let mut errors: Vec<RowError> = undecodable
        .into_iter()
        .map(|line| RowError {
            line,
            code: String::new(),
            reason: "undecodable".into(),
        })
        .collect();
    // Lines as the calendar's parser numbers them.
    errors.extend(
        text.lines()
            .zip(1..)
            .filter(|(line, _)| has_forbidden(line))
            .map(|(_, line)| RowError {
                line,
                code: String::new(),
                reason: CONTROL_CHARACTER.into(),
            }),
    );
    match minqing_domain::calendar::parse_calendar_csv(&text) {
        Ok(entries) if errors.is_empty() => Ok(entries),
        Ok(_) => Err(StorageError::ImportInvalid(errors)),
        Err(bad) => {
            errors.extend(bad.into_iter().map(|e| RowError {
                line: e.line,
                code: String::new(),
                reason: e.code.into(),
            }));
            errors.sort_by_key(|e| e.line);
            Err(StorageError::ImportInvalid(errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NANCHANG: &str = include_str!("../data/nanchang-divisions.csv");

    #[test]
    fn the_official_nanchang_file_reads_whole() {
        let (rows, errors) = read_division_file(NANCHANG.as_bytes()).unwrap();
        assert!(errors.is_empty());
        assert_eq!(rows.len(), 2412);
        assert_eq!(rows[0].line, 2);
        assert_eq!(rows[0].name, "南昌市");
    }

    #[test]
    fn a_bom_and_gbk_text_are_understood() {
        let mut with_bom = UTF8_BOM.to_vec();
        with_bom.extend_from_slice("code,parent_code,level,name\n1,,1,南昌市\n".as_bytes());
        let (rows, _) = read_division_file(&with_bom).unwrap();
        assert_eq!(rows[0].name, "南昌市");

        let (gbk, _, _) =
            GB18030.encode("code,parent_code,level,name\r\n1,,1,南昌市\r\n2,1,2,青云谱区\r\n");
        let (rows, errors) = read_division_file(&gbk).unwrap();
        assert!(errors.is_empty());
        assert_eq!(rows[1].name, "青云谱区");
        assert_eq!(rows[1].line, 3);
    }

    #[test]
    fn an_undecodable_line_is_reported_by_number() {
        let mut bytes = "code,parent_code,level,name\n1,,1,南昌市\n"
            .as_bytes()
            .to_vec();
        bytes.extend_from_slice(b"2,1,2,\xff\xfe\n");
        bytes.extend_from_slice("3,1,2,青云谱区\n".as_bytes());
        let (rows, errors) = read_division_file(&bytes).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(errors[0].line, 3);
        assert_eq!(errors[0].reason, "undecodable");
        assert_eq!(rows[1].line, 4);
    }

    #[test]
    fn a_row_with_a_control_character_is_reported_by_number() {
        let csv = "address,head_name\n一号楼,张三\n二号楼,李\u{0}四\n三号楼,\"王五\t（长）\"\n";
        let (rows, errors) = read_household_file(csv.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].head_name, "王五\t（长）");
        assert_eq!(errors.len(), 1);
        assert_eq!(
            (errors[0].line, errors[0].reason.as_str()),
            (3, "control_character")
        );

        let calendar = "date,kind,name\n2026-10-01,holiday,国庆\u{1}节\n";
        let Err(StorageError::ImportInvalid(errors)) = read_calendar_file(calendar.as_bytes())
        else {
            panic!("a control character in a calendar name is refused");
        };
        assert_eq!(
            (errors[0].line, errors[0].reason.as_str()),
            (2, "control_character")
        );
    }

    #[test]
    fn a_wrong_header_is_refused() {
        let err = read_division_file(b"id,name\n1,x\n").unwrap_err();
        assert!(matches!(
            err,
            StorageError::ImportUnreadable("import_bad_header")
        ));
    }

    #[test]
    fn each_file_is_refused_with_the_code_naming_its_own_header() {
        let wrong = b"code,parent_code,level,name\n1,,1,x\n";
        let code = |e: StorageError| match e {
            StorageError::ImportUnreadable(code) => code,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            code(read_member_file(wrong).unwrap_err()),
            "member_bad_header"
        );
        assert_eq!(
            code(read_household_file(wrong).unwrap_err()),
            "household_bad_header"
        );
        assert_eq!(
            code(read_account_file(wrong).unwrap_err()),
            "account_bad_header"
        );
    }

    #[test]
    fn xlsx_numbers_come_back_as_digit_strings() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for (c, h) in DIVISION_HEADER.iter().enumerate() {
            sheet.write_string(0, c as u16, *h).unwrap();
        }
        sheet.write_number(1, 0, 360100000000.0).unwrap();
        sheet.write_number(1, 2, 1.0).unwrap();
        sheet.write_string(1, 3, "南昌市").unwrap();
        let bytes = book.save_to_buffer().unwrap();
        let (rows, errors) = read_division_file(&bytes).unwrap();
        assert!(errors.is_empty());
        assert_eq!(rows[0].code, "360100000000");
        assert_eq!(rows[0].level, "1");
        assert_eq!(rows[0].line, 2);
    }
}
