//! Downloads: spreadsheets (the ledger's 台账, council members, spending) as XLSX or CSV, written
//! off the async threads, with a file name in Chinese and a plain fallback; and filed files
//! (attachments, vouchers) as they were filed.
use axum::http::header;
use axum::response::{IntoResponse, Response};
use minqing_storage::ledger_export::{Sheet, write_csv, write_xlsx};
use serde::Deserialize;

use crate::error::{ApiError, ApiResult};

/// A spreadsheet file (XLSX or CSV), for the OpenAPI document.
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct SpreadsheetFile(pub Vec<u8>);

/// The file of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    /// An Excel workbook, one sheet.
    Xlsx,
    /// UTF-8 with a BOM, CRLF line ends.
    Csv,
}

impl ExportFormat {
    pub fn parse(raw: &str) -> ApiResult<Self> {
        match raw {
            "xlsx" => Ok(Self::Xlsx),
            "csv" => Ok(Self::Csv),
            _ => Err(ApiError::field("format", "invalid_export_format")),
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Self::Xlsx => "xlsx",
            Self::Csv => "csv",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Self::Csv => "text/csv; charset=utf-8",
        }
    }
}

/// `attachment; filename="ledger-20261126.xlsx"; filename*=UTF-8''台账-20261126.xlsx` (encoded).
fn attachment(name: (&str, &str), day: &str, format: ExportFormat) -> String {
    let ext = format.extension();
    let zh: String = name.1.bytes().map(|b| format!("%{b:02X}")).collect();
    format!(
        "attachment; filename=\"{}-{day}.{ext}\"; filename*=UTF-8''{zh}-{day}.{ext}",
        name.0
    )
}

/// The rows as a download named `name` (plain, Chinese) and dated `day`.
pub async fn spreadsheet<R: AsRef<[String]> + Send + 'static>(
    sheet: Sheet<'static>,
    rows: Vec<R>,
    format: ExportFormat,
    name: (&str, &str),
    day: &str,
) -> ApiResult<Response> {
    let bytes = tokio::task::spawn_blocking(move || match format {
        ExportFormat::Csv => Ok(write_csv(&sheet, rows)),
        ExportFormat::Xlsx => write_xlsx(&sheet, rows).map_err(|e| e.to_string()),
    })
    .await
    .map_err(|e| e.to_string())
    .and_then(|r| r)
    .map_err(|e| {
        tracing::error!(error = %e, "export failed");
        ApiError::internal()
    })?;
    let headers = [
        (header::CONTENT_TYPE, format.content_type().to_owned()),
        (header::CONTENT_DISPOSITION, attachment(name, day, format)),
        (header::CACHE_CONTROL, "no-store".to_owned()),
    ];
    Ok((headers, bytes).into_response())
}

/// A filed file (an attachment, a voucher) as a download: its media type, its own name (with
/// `fallback` for clients that cannot read RFC 5987), and never sniffed or run by the browser.
pub fn filed_file(name: &str, fallback: &str, media_type: String, bytes: Vec<u8>) -> Response {
    let disposition = format!(
        "attachment; filename=\"{fallback}\"; filename*=UTF-8''{}",
        percent_encode(name)
    );
    (
        [
            (header::CONTENT_TYPE, media_type),
            (header::CONTENT_DISPOSITION, disposition),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        ],
        bytes,
    )
        .into_response()
}

/// RFC 5987 percent-encoding of a file name.
fn percent_encode(name: &str) -> String {
    name.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
