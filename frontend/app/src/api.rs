//! The only place the portal speaks HTTP: JSON calls to `/api/v1` from the browser, on the
//! session cookie, with `Accept-Language` set to the chosen language (so error messages come back
//! in it) and the CSRF token on unsafe requests.
//!
//! On the server these calls are never made (pages load their data after hydration); the
//! transport there answers with an error instead of compiling a browser HTTP stack in.
use std::collections::BTreeMap;
use std::sync::Arc;

use leptos::prelude::*;
use minqing_domain::i18n::Lang;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::i18n::Text;
use crate::model::{ImportRowError, Page};
use crate::state::{Portal, Session};

const BASE: &str = "/api/v1";

/// An answer other than 2xx, parsed from `{"error": {"code", "message", "fields", "rows"}}`;
/// transport failures get the code `network`.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: u16,
    pub code: String,
    /// Already in the language the request asked for.
    pub message: String,
    /// Field name → message, for showing under a form's fields.
    pub fields: BTreeMap<String, String>,
    /// The bad rows of a rejected import file.
    pub rows: Vec<ImportRowError>,
}

#[derive(serde::Deserialize)]
struct Envelope {
    error: EnvelopeError,
}

#[derive(serde::Deserialize)]
struct EnvelopeError {
    code: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    fields: BTreeMap<String, String>,
    #[serde(default)]
    rows: Vec<ImportRowError>,
}

impl ApiError {
    fn local(status: u16, code: &str, lang: Lang, text: Text) -> Self {
        Self {
            status,
            code: code.to_owned(),
            message: text.get(lang).to_owned(),
            fields: BTreeMap::new(),
            rows: Vec::new(),
        }
    }

    fn from_response(status: u16, body: &str, lang: Lang) -> Self {
        match serde_json::from_str::<Envelope>(body) {
            Ok(Envelope { error }) => Self {
                status,
                message: if error.message.is_empty() {
                    minqing_domain::i18n::message(&error.code, lang)
                } else {
                    error.message
                },
                code: error.code,
                fields: error.fields,
                rows: error.rows,
            },
            Err(_) => Self::local(
                status,
                "unexpected_response",
                lang,
                Text::UnexpectedResponse,
            ),
        }
    }

    /// A form the portal itself refused before sending (a choice not made): `message` above the
    /// form, `fields` beside the fields, like the API's own 422.
    pub fn form(message: &str, fields: BTreeMap<String, String>) -> Self {
        Self {
            status: 0,
            code: "validation_failed".to_owned(),
            message: message.to_owned(),
            fields,
            rows: Vec::new(),
        }
    }

    /// The message for one form field, if the server named it.
    pub fn field(&self, name: &str) -> Option<String> {
        self.fields.get(name).cloned()
    }
}

/// Percent-encodes a query value (RFC 3986 unreserved characters stay as they are).
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The API client; `Copy`, so event handlers and resources can move it freely.
#[derive(Debug, Clone, Copy)]
pub struct Api {
    portal: Portal,
}

impl Api {
    pub(crate) fn new(portal: Portal) -> Self {
        Self { portal }
    }

    pub async fn get<T: DeserializeOwned>(self, path: &str) -> Result<T, ApiError> {
        self.call("GET", path, None).await
    }

    /// Every item of a list, following `next_cursor` (500 a page).
    pub async fn get_all<T: DeserializeOwned>(self, path: &str) -> Result<Vec<T>, ApiError> {
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let url = match &cursor {
                None => format!("{path}{sep}limit=500"),
                Some(c) => format!("{path}{sep}limit=500&cursor={}", encode(c)),
            };
            let page: Page<T> = self.get(&url).await?;
            items.extend(page.items);
            match page.next_cursor {
                Some(next) if cursor.as_ref() != Some(&next) => cursor = Some(next),
                _ => return Ok(items),
            }
        }
    }

    pub async fn post<B: Serialize, T: DeserializeOwned>(
        self,
        path: &str,
        body: &B,
    ) -> Result<T, ApiError> {
        self.call("POST", path, Some(to_json(body))).await
    }

    /// A creating POST with an `Idempotency-Key`: a retry with the same key (a double tap, a
    /// resend after a lost answer) gets the first answer back instead of creating twice.
    pub async fn post_idempotent<B: Serialize, T: DeserializeOwned>(
        self,
        path: &str,
        body: &B,
        idempotency_key: &str,
    ) -> Result<T, ApiError> {
        self.send_keyed("POST", path, to_json(body), idempotency_key)
            .await
    }

    /// A JSON body already written (the outbox keeps them so) sent under an `Idempotency-Key`.
    pub async fn send_keyed<T: DeserializeOwned>(
        self,
        method: &str,
        path: &str,
        body: String,
        idempotency_key: &str,
    ) -> Result<T, ApiError> {
        let extra = [("idempotency-key", idempotency_key.to_owned())];
        self.call_with(method, path, Some(body), &extra).await
    }

    /// A POST without a body: actions such as `/accounts/{id}/disable` or `/auth/logout`.
    pub async fn post_empty<T: DeserializeOwned>(self, path: &str) -> Result<T, ApiError> {
        self.call("POST", path, None).await
    }

    pub async fn patch<B: Serialize, T: DeserializeOwned>(
        self,
        path: &str,
        body: &B,
    ) -> Result<T, ApiError> {
        self.call("PATCH", path, Some(to_json(body))).await
    }

    /// Replaces a resource whole (`PUT`), e.g. a year of the calendar or the demand rules.
    pub async fn put<B: Serialize, T: DeserializeOwned>(
        self,
        path: &str,
        body: &B,
    ) -> Result<T, ApiError> {
        self.call("PUT", path, Some(to_json(body))).await
    }

    pub async fn delete<T: DeserializeOwned>(self, path: &str) -> Result<T, ApiError> {
        self.call("DELETE", path, None).await
    }

    /// Uploads a file as the multipart field `file`; `progress` receives the fraction sent.
    pub async fn upload<T: DeserializeOwned>(
        self,
        path: &str,
        file: web_sys::File,
        progress: impl Fn(f64) + 'static,
    ) -> Result<T, ApiError> {
        let lang = self.portal.lang.get_untracked();
        let url = format!("{BASE}{path}");
        let headers = self.headers("POST", lang);
        let answer = transport::upload(&url, &headers, file, Box::new(progress)).await;
        self.finish(answer, lang)
    }

    async fn call<T: DeserializeOwned>(
        self,
        method: &str,
        path: &str,
        body: Option<String>,
    ) -> Result<T, ApiError> {
        self.call_with(method, path, body, &[]).await
    }

    async fn call_with<T: DeserializeOwned>(
        self,
        method: &str,
        path: &str,
        body: Option<String>,
        extra_headers: &[(&'static str, String)],
    ) -> Result<T, ApiError> {
        let lang = self.portal.lang.get_untracked();
        let url = format!("{BASE}{path}");
        let mut headers = self.headers(method, lang);
        headers.extend_from_slice(extra_headers);
        let answer = transport::fetch(method, &url, &headers, body).await;
        self.finish(answer, lang)
    }

    fn headers(self, method: &str, lang: Lang) -> Vec<(&'static str, String)> {
        let mut headers = vec![("accept-language", lang.tag().to_owned())];
        if method != "GET"
            && let Some(token) = self.portal.csrf_token()
        {
            headers.push(("x-csrf-token", token));
        }
        headers
    }

    /// Turns a transport answer into the caller's type or an [`ApiError`], and keeps the session
    /// in step: a 401 means it ended, a `password_change_required` that a new password is due.
    fn finish<T: DeserializeOwned>(
        self,
        answer: Result<(u16, String), String>,
        lang: Lang,
    ) -> Result<T, ApiError> {
        let (status, body) =
            answer.map_err(|_| ApiError::local(0, "network", lang, Text::NetworkError))?;
        if (200..300).contains(&status) {
            let body = if body.trim().is_empty() {
                "null"
            } else {
                body.as_str()
            };
            return serde_json::from_str(body).map_err(|_| {
                ApiError::local(
                    status,
                    "unexpected_response",
                    lang,
                    Text::UnexpectedResponse,
                )
            });
        }
        let error = ApiError::from_response(status, &body, lang);
        if status == 401 && error.code != "invalid_credentials" {
            self.portal.session.update(|s| {
                if matches!(s, Session::SignedIn(_)) {
                    *s = Session::SignedOut;
                }
            });
        } else if error.code == "password_change_required" {
            self.portal.session.update(|s| {
                if let Session::SignedIn(me) = s {
                    let mut changed = (**me).clone();
                    changed.account.must_change_password = true;
                    *s = Session::SignedIn(Arc::new(changed));
                }
            });
        }
        Err(error)
    }
}

fn to_json<B: Serialize>(body: &B) -> String {
    serde_json::to_string(body).expect("request bodies serialize")
}

#[cfg(feature = "hydrate")]
mod transport {
    use gloo_net::http::{Method, RequestBuilder};
    use wasm_bindgen::JsCast;
    use wasm_bindgen::prelude::*;
    use web_sys::{ProgressEvent, RequestCredentials, XmlHttpRequest};

    pub async fn fetch(
        method: &str,
        url: &str,
        headers: &[(&'static str, String)],
        body: Option<String>,
    ) -> Result<(u16, String), String> {
        let method = match method {
            "POST" => Method::POST,
            "PUT" => Method::PUT,
            "PATCH" => Method::PATCH,
            "DELETE" => Method::DELETE,
            _ => Method::GET,
        };
        let mut request = RequestBuilder::new(url)
            .method(method)
            .credentials(RequestCredentials::SameOrigin)
            .header("accept", "application/json");
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let request = match body {
            Some(json) => request
                .header("content-type", "application/json")
                .body(json),
            None => request.build(),
        }
        .map_err(|e| e.to_string())?;
        let response = request.send().await.map_err(|e| e.to_string())?;
        let text = response.text().await.map_err(|e| e.to_string())?;
        Ok((response.status(), text))
    }

    /// XMLHttpRequest rather than fetch: only it reports upload progress.
    pub async fn upload(
        url: &str,
        headers: &[(&'static str, String)],
        file: web_sys::File,
        progress: Box<dyn Fn(f64)>,
    ) -> Result<(u16, String), String> {
        let js = |e: JsValue| format!("{e:?}");
        let xhr = XmlHttpRequest::new().map_err(js)?;
        xhr.open("POST", url).map_err(js)?;
        xhr.set_with_credentials(true);
        xhr.set_request_header("accept", "application/json")
            .map_err(js)?;
        for (name, value) in headers {
            xhr.set_request_header(name, value).map_err(js)?;
        }
        let form = web_sys::FormData::new().map_err(js)?;
        form.append_with_blob_and_filename("file", &file, &file.name())
            .map_err(js)?;

        let on_progress = Closure::<dyn FnMut(ProgressEvent)>::new(move |e: ProgressEvent| {
            if e.length_computable() && e.total() > 0.0 {
                progress(e.loaded() / e.total());
            }
        });
        xhr.upload()
            .map_err(js)?
            .set_onprogress(Some(on_progress.as_ref().unchecked_ref()));

        // `loadend` follows success, failure and abort alike.
        let target = xhr.clone();
        let done = js_sys::Promise::new(&mut |resolve, _reject| {
            let resolve = Closure::once_into_js(move || {
                let _ = resolve.call0(&JsValue::NULL);
            });
            target.set_onloadend(Some(resolve.unchecked_ref()));
        });
        xhr.send_with_opt_form_data(Some(&form)).map_err(js)?;
        let _ = wasm_bindgen_futures::JsFuture::from(done).await;
        drop(on_progress);

        match xhr.status().map_err(js)? {
            0 => Err("network".to_owned()),
            status => Ok((status, xhr.response_text().map_err(js)?.unwrap_or_default())),
        }
    }
}

#[cfg(not(feature = "hydrate"))]
mod transport {
    //! Server side: pages fetch nothing while rendering, so this is never reached.

    pub async fn fetch(
        _method: &str,
        _url: &str,
        _headers: &[(&'static str, String)],
        _body: Option<String>,
    ) -> Result<(u16, String), String> {
        Err("the portal calls the API from the browser only".to_owned())
    }

    pub async fn upload(
        _url: &str,
        _headers: &[(&'static str, String)],
        _file: web_sys::File,
        _progress: Box<dyn Fn(f64)>,
    ) -> Result<(u16, String), String> {
        Err("the portal calls the API from the browser only".to_owned())
    }
}

/// A fresh random key for `Idempotency-Key` (a UUID v4 from the browser's
/// `crypto.getRandomValues`, which unlike `randomUUID` works on plain-HTTP intranets too).
/// Only the browser submits forms; on the server this gives a key from the clock, never used.
pub fn new_idempotency_key() -> String {
    #[cfg(feature = "hydrate")]
    let bytes = {
        let mut bytes = [0u8; 16];
        let filled = web_sys::window()
            .and_then(|w| w.crypto().ok())
            .is_some_and(|c| c.get_random_values_with_u8_array(&mut bytes).is_ok());
        if !filled {
            for b in bytes.iter_mut() {
                *b = (js_sys::Math::random() * 256.0) as u8;
            }
        }
        bytes
    };
    #[cfg(not(feature = "hydrate"))]
    let bytes = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default()
        .to_le_bytes();
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_envelope_gives_code_message_fields_and_rows() {
        let body = r#"{"error":{"code":"import_invalid","message":"文件有错误行","fields":{},
            "rows":[{"line":7,"code":"360104009009","reason":"unknown_parent","message":"上级代码不存在"}]}}"#;
        let e = ApiError::from_response(422, body, Lang::Zh);
        assert_eq!(e.code, "import_invalid");
        assert_eq!(e.rows[0].line, 7);
        assert_eq!(e.rows[0].reason, "unknown_parent");

        let e = ApiError::from_response(
            422,
            r#"{"error":{"code":"validation_failed","message":"x","fields":{"username":"Required."}}}"#,
            Lang::En,
        );
        assert_eq!(e.field("username").as_deref(), Some("Required."));
    }

    #[test]
    fn a_body_that_is_not_the_envelope_still_gives_an_error() {
        let e = ApiError::from_response(502, "<html>Bad gateway</html>", Lang::En);
        assert_eq!(e.code, "unexpected_response");
        assert_eq!(e.status, 502);
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(encode("洪城路"), "%E6%B4%AA%E5%9F%8E%E8%B7%AF");
        assert_eq!(encode("a b&c"), "a%20b%26c");
    }
}
