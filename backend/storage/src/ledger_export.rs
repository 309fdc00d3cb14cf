//! The ledger (台账) as a file: every demand the filters match (up to [`EXPORT_CAP`]), one row
//! each, written as CSV (UTF-8 with a BOM, CRLF) or XLSX (one sheet 台账).
//!
//! [`ledger_row`] is the one place a demand becomes cells; both writers take its rows. Personal
//! data stays masked, as in the list: the views come from `Demands::list`.
use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use minqing_domain::access::DemandAccess;
use rust_xlsxwriter::{Format, FormatBorder, Workbook, XlsxError};

use crate::demand_rules::CategoryView;
use crate::demands::{DemandQuery, DemandView, Demands};
use crate::error::Result;
use crate::sealing::Sealer;

/// The most rows one export holds; beyond it the caller must narrow the filters.
pub const EXPORT_CAP: u64 = 100_000;

/// Demands read per page while collecting an export.
const PAGE: u64 = 1000;

/// The columns, in order.
pub const HEADERS: [&str; 13] = [
    "序号",
    "受理时间",
    "来源",
    "诉求人",
    "联系电话",
    "诉求内容",
    "类别",
    "承办单位",
    "时限",
    "办理情况",
    "办结时间",
    "满意度",
    "回执编号",
];

/// Column widths of the sheet, in Excel's character units (a Chinese character counts ~2).
const WIDTHS: [f64; 13] = [
    7.0, 17.0, 10.0, 10.0, 13.0, 60.0, 12.0, 18.0, 32.0, 12.0, 17.0, 10.0, 16.0,
];

/// One row of the ledger, one cell per [`HEADERS`] entry.
pub type LedgerRow = [String; 13];

/// What the export collected.
#[derive(Debug)]
pub enum Export {
    /// The matching demands, newest first.
    Views(Vec<DemandView>),
    /// More than [`EXPORT_CAP`] match.
    TooLarge { matching: u64 },
}

impl Demands<'_> {
    /// Every demand the filters match that the caller may see, newest first (the list's pages
    /// run through to the end), or [`Export::TooLarge`] when more than `cap` match — counted
    /// first, so an oversized export reads no rows.
    pub async fn export(
        &self,
        query: &DemandQuery,
        access: &DemandAccess,
        sealer: &Sealer,
        now: DateTime<Utc>,
        cap: u64,
    ) -> Result<Export> {
        let matching: i64 = self
            .counts(query, access, sealer, now)
            .await?
            .into_iter()
            .filter(|c| query.statuses.is_empty() || query.statuses.contains(&c.status))
            .map(|c| c.count)
            .sum();
        let matching = u64::try_from(matching).unwrap_or(0);
        if matching > cap {
            return Ok(Export::TooLarge { matching });
        }
        let mut views = Vec::with_capacity(matching as usize);
        let mut cursor: Option<String> = None;
        loop {
            let (page, next) = self
                .list(query, access, sealer, cursor.as_deref(), PAGE, now)
                .await?;
            views.extend(page);
            // Demands received since the count (PostgreSQL reads committed rows) may tip it over.
            if views.len() as u64 > cap {
                return Ok(Export::TooLarge {
                    matching: views.len() as u64,
                });
            }
            match next {
                Some(n) => cursor = Some(n),
                None => return Ok(Export::Views(views)),
            }
        }
    }
}

/// What a row needs besides the demand: the tenant's zone and its categories' Chinese labels.
pub struct LedgerLabels {
    tz: Tz,
    categories: HashMap<String, String>,
}

impl LedgerLabels {
    pub fn new(tz: Tz, categories: &[CategoryView]) -> Self {
        Self {
            tz,
            categories: categories
                .iter()
                .map(|c| (c.key.clone(), c.label_zh.clone()))
                .collect(),
        }
    }

    fn time(&self, at: DateTime<Utc>) -> String {
        at.with_timezone(&self.tz)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    }

    /// The last day of a deadline: deadlines are the end of their day (the next midnight), so
    /// the day is the one a moment earlier shows.
    fn due_day(&self, due: DateTime<Utc>) -> String {
        (due - TimeDelta::seconds(1))
            .with_timezone(&self.tz)
            .format("%Y-%m-%d")
            .to_string()
    }
}

/// The cells of one demand (`number` is its 1-based place in the file).
pub fn ledger_row(number: usize, v: &DemandView, labels: &LedgerLabels) -> LedgerRow {
    let resident = v
        .resident_name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or("匿名");
    let category = labels
        .categories
        .get(&v.category)
        .cloned()
        .unwrap_or_else(|| v.category.clone());
    let deadline = match (v.reply_due_at, v.resolve_due_at) {
        (Some(reply), Some(resolve)) => format!(
            "答复 {} / 办结 {}",
            labels.due_day(reply),
            labels.due_day(resolve)
        ),
        (Some(reply), None) => labels.due_day(reply),
        (None, Some(resolve)) => format!("办结 {}", labels.due_day(resolve)),
        (None, None) => String::new(),
    };
    [
        number.to_string(),
        labels.time(v.received_at),
        v.channel.labels().0.to_owned(),
        resident.to_owned(),
        v.phone.clone().unwrap_or_default(),
        format!("{}：{}", v.title, v.description),
        category,
        v.handling_unit.name.clone(),
        deadline,
        v.status.labels().0.to_owned(),
        v.resolved_at.map(|t| labels.time(t)).unwrap_or_default(),
        v.satisfaction
            .map(|s| s.labels().0.to_owned())
            .unwrap_or_default(),
        v.receipt_code.clone(),
    ]
}

/// A cell a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, or a leading tab or
/// carriage return) gets a leading `'`, so text a resident typed never runs when the CSV is
/// opened in Excel. (XLSX cells are written as strings and need no such care.)
fn defuse(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// A table for a spreadsheet: its sheet's name, column titles and widths.
pub struct Sheet<'a> {
    pub name: &'a str,
    pub headers: &'a [&'a str],
    pub widths: &'a [f64],
}

/// The ledger's 台账 sheet.
pub const LEDGER_SHEET: Sheet<'static> = Sheet {
    name: "台账",
    headers: &HEADERS,
    widths: &WIDTHS,
};

/// The rows as CSV: UTF-8 with a BOM (so Excel on Chinese Windows reads it right), the header
/// first, CRLF line ends, fields quoted where needed.
pub fn write_csv<R: AsRef<[String]>>(
    sheet: &Sheet<'_>,
    rows: impl IntoIterator<Item = R>,
) -> Vec<u8> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(&mut out);
        // Writing to a Vec cannot fail.
        let _ = writer.write_record(sheet.headers);
        for row in rows {
            let _ = writer.write_record(row.as_ref().iter().map(|c| defuse(c).into_owned()));
        }
        let _ = writer.flush();
    }
    out
}

/// The rows as an XLSX workbook: one sheet, a bold frozen header with a filter, set column
/// widths; a first column of numbers (序号) as numbers, everything else as text.
pub fn write_xlsx<R: AsRef<[String]>>(
    sheet_spec: &Sheet<'_>,
    rows: impl IntoIterator<Item = R>,
) -> std::result::Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(sheet_spec.name)?;
    let header = Format::new()
        .set_bold()
        .set_background_color("#D9E1F2")
        .set_border_bottom(FormatBorder::Thin);
    for (col, (title, width)) in sheet_spec.headers.iter().zip(sheet_spec.widths).enumerate() {
        let col = col as u16;
        sheet.write_string_with_format(0, col, *title, &header)?;
        sheet.set_column_width(col, *width)?;
    }
    let mut last = 0u32;
    for (i, row) in rows.into_iter().enumerate() {
        let r = i as u32 + 1;
        for (col, cell) in row.as_ref().iter().enumerate() {
            match (col, cell.parse::<f64>()) {
                (0, Ok(n)) => sheet.write_number(r, 0, n)?,
                _ => sheet.write_string(r, col as u16, cell)?,
            };
        }
        last = r;
    }
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofilter(0, 0, last, sheet_spec.headers.len() as u16 - 1)?;
    workbook.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_starts_with_a_bom_ends_lines_with_crlf_and_defuses_formulas() {
        let mut row: LedgerRow = Default::default();
        row[0] = "1".into();
        row[5] = "=HYPERLINK(\"x\")：说明".into();
        row[3] = "王, 阿姨".into();
        let bytes = write_csv(&LEDGER_SHEET, [row]);
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(lines[0], HEADERS.join(","));
        assert!(
            lines[1].contains("\"'=HYPERLINK(\"\"x\"\")：说明\""),
            "{}",
            lines[1]
        );
        assert!(lines[1].contains("\"王, 阿姨\""));
        assert_eq!(lines[2], "");
    }

    #[test]
    fn a_deadline_shows_its_last_day_not_the_midnight_after() {
        let tz: Tz = "Asia/Shanghai".parse().unwrap();
        let labels = LedgerLabels::new(tz, &[]);
        // 2026-12-04 00:00 in Shanghai ends 2026-12-03.
        let due = DateTime::parse_from_rfc3339("2026-12-03T16:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(labels.due_day(due), "2026-12-03");
        assert_eq!(labels.time(due), "2026-12-04 00:00");
    }

    #[test]
    fn the_workbook_is_written() {
        let mut row: LedgerRow = Default::default();
        row[0] = "1".into();
        let bytes = write_xlsx(&LEDGER_SHEET, [row]).unwrap();
        assert!(bytes.starts_with(b"PK"));
    }
}
