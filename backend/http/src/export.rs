//! Spreadsheet downloads (the ledger's 台账, council members): XLSX or CSV, written off the
//! async threads, with a file name in Chinese and a plain fallback.
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
