//! The black-box harness: starts the real server (the same `Server` the binary runs) on port 0
//! and speaks HTTP to it.
//!
//! Storage: a fresh SQLite database per server, or — when `MINQING_TEST_DATABASE_URL` (and
//! optionally `MINQING_TEST_REDIS_URL`) are set, as `.ci/run` does — one shared PostgreSQL
//! database and Redis. Every test makes its own tenants with random slugs, so tests run in
//! parallel on one database.
#![allow(dead_code)]

pub mod browser;
pub mod cutting_proxy;

use std::path::PathBuf;
use std::time::Duration;

use minqing_server::{Config, Server};
use minqing_storage::SessionConfig;
use minqing_storage::throttle::LoginLimits;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Password of `operator` and the demo `admin` in tests.
pub const BOOTSTRAP_PASSWORD: &str = "Test-Bootstrap-2026!";
/// The password given to tenants' admins that tests create.
pub const ADMIN_PASSWORD: &str = "Tenant-Chief-2026!";

#[derive(Default, Clone)]
pub struct Options {
    /// Seed the demo tenant `nanchang`.
    pub demo: bool,
    /// Where the built portal lives (browser tests).
    pub site_root: Option<PathBuf>,
    /// Login throttling; generous by default so tests never trip it by accident.
    pub login_limits: Option<LoginLimits>,
    pub sessions: Option<SessionConfig>,
    /// Online-form submissions per address and hour; generous by default.
    pub public_demands_per_hour: Option<i64>,
    /// Proxies trusted to name the client in `X-Forwarded-For` (0 by default).
    pub trusted_proxy_hops: usize,
}

pub struct TestServer {
    pub base_url: String,
    pub admin_password: String,
    pub operator_password: String,
    pub config: Config,
    /// The server's clock: move it forward instead of sleeping.
    pub clock: minqing_storage::Clock,
    pub storage: minqing_storage::Storage,
    sealer: std::sync::Arc<minqing_storage::sealing::Sealer>,
    /// The tenants `new_tenant` made, which `sweep` and `deliver` visit.
    tenants: std::sync::Mutex<Vec<minqing_domain::TenantId>>,
    client: reqwest::Client,
    _dir: tempfile::TempDir,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

/// The sealing key servers on PostgreSQL start with (any 32 bytes, in hex).
pub const TEST_DATA_KEY: &str = "5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed";

pub fn uses_postgres() -> bool {
    std::env::var("MINQING_TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty())
}

/// A slug no other test uses.
pub fn unique_slug(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(Options::default()).await
    }

    /// A second server process on the same database (and Redis): its base URL. It runs until
    /// the test ends.
    pub async fn another_process(&self) -> String {
        self.another_process_on(&self.config.database_url).await
    }

    /// A second server process reaching the same database at `database_url` (through a
    /// proxy, say): its base URL.
    pub async fn another_process_on(&self, database_url: &str) -> String {
        let config = Config {
            database_url: database_url.to_owned(),
            ..self.config.clone()
        };
        let server = Server::build(&config)
            .await
            .expect("a second server starts");
        let addr = server.local_addr();
        tokio::spawn(server.serve(std::future::pending::<()>()));
        format!("http://{addr}")
    }

    pub async fn start_with(options: Options) -> Self {
        let dir = tempfile::tempdir().expect("a temp dir");
        let database_url = std::env::var("MINQING_TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| minqing_server::config::default_sqlite_url(dir.path()));
        let config = Config {
            listen: "127.0.0.1:0".into(),
            data_dir: dir.path().to_owned(),
            database_url,
            redis_url: std::env::var("MINQING_TEST_REDIS_URL")
                .ok()
                .filter(|u| !u.is_empty()),
            bootstrap_password: Some(BOOTSTRAP_PASSWORD.into()),
            demo: options.demo,
            site_root: options.site_root.unwrap_or_else(|| dir.path().join("site")),
            json_logs: false,
            secure_cookies: false,
            sessions: options.sessions.unwrap_or_default(),
            login_limits: options.login_limits.unwrap_or(LoginLimits {
                per_account: 1000,
                per_address: 100_000,
            }),
            public_demands_per_hour: options.public_demands_per_hour.unwrap_or(10_000),
            trusted_proxy_hops: options.trusted_proxy_hops,
            // PostgreSQL requires a key; SQLite generates one into the temp dir.
            data_key: uses_postgres().then(|| TEST_DATA_KEY.into()),
            // Tests run the sweeper and the dispatcher themselves, after moving the clock.
            sweep_every: Duration::ZERO,
            deliver_every: Duration::ZERO,
        };
        let _ = minqing_server::telemetry::init(false);
        let server = Server::build(&config).await.expect("the server starts");
        let addr = server.local_addr();
        let clock = server.clock.clone();
        let storage = server.storage.clone();
        let sealer = server.sealer.clone();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(server.serve(async {
            let _ = rx.await;
        }));
        Self {
            base_url: format!("http://{addr}"),
            admin_password: BOOTSTRAP_PASSWORD.into(),
            operator_password: BOOTSTRAP_PASSWORD.into(),
            config,
            clock,
            storage,
            sealer,
            tenants: Default::default(),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("a client"),
            _dir: dir,
            _shutdown: tx,
        }
    }

    /// One pass of the deadline sweeper at this server's clock, over the tenants this server's
    /// tests made (other tests share a PostgreSQL database and move their own clocks).
    pub async fn sweep(&self) {
        let mine = self.tenants.lock().expect("tenants").clone();
        minqing_server::jobs::sweep_once(&self.storage, &self.clock, Some(&mine))
            .await
            .expect("the sweep runs");
    }

    /// One pass of the notification dispatcher at this server's clock, over its tests' tenants.
    pub async fn deliver(&self) -> minqing_server::jobs::Delivered {
        let mine = self.tenants.lock().expect("tenants").clone();
        let client = minqing_server::jobs::delivery_client();
        minqing_server::jobs::deliver_once(
            &self.storage,
            &self.sealer,
            &client,
            &self.clock,
            Some(&mine),
        )
        .await
        .expect("the dispatcher runs")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Logs in; panics unless it succeeds.
    pub async fn login(&self, tenant: &str, username: &str, password: &str) -> Session {
        let (status, body) = self.try_login(tenant, username, password).await;
        assert_eq!(status, StatusCode::OK, "login {tenant}/{username}: {body}");
        Session {
            base_url: self.base_url.clone(),
            token: body["token"].as_str().expect("a token").to_owned(),
            client: self.client.clone(),
        }
    }

    pub async fn try_login(
        &self,
        tenant: &str,
        username: &str,
        password: &str,
    ) -> (StatusCode, Value) {
        let r = self
            .client
            .post(self.url("/api/v1/auth/login"))
            .json(&json!({"tenant": tenant, "username": username, "password": password}))
            .send()
            .await
            .expect("the server answers");
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn operator(&self) -> Session {
        self.login("platform", "operator", &self.operator_password)
            .await
    }

    /// A new tenant with a random slug; returns its id, slug and its admin's session.
    pub async fn new_tenant(&self, kind: &str) -> TestTenant {
        let operator = self.operator().await;
        let slug = unique_slug(kind);
        let (status, body) = operator
            .post(
                "/api/v1/platform/tenants",
                &json!({"slug": slug, "kind": kind, "name_zh": format!("测试{slug}"), "name_en": slug, "admin_password": ADMIN_PASSWORD}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "create tenant: {body}");
        let id = body["id"].as_str().expect("an id").to_owned();
        self.tenants
            .lock()
            .expect("tenants")
            .push(minqing_domain::TenantId(id.parse().expect("a uuid")));
        let admin = self.login(&slug, "admin", ADMIN_PASSWORD).await;
        TestTenant { id, slug, admin }
    }
}

pub struct TestTenant {
    pub id: String,
    pub slug: String,
    pub admin: Session,
}

/// A bearer-token session speaking JSON.
#[derive(Clone)]
pub struct Session {
    pub base_url: String,
    pub token: String,
    client: reqwest::Client,
}

impl Session {
    /// The same login, speaking to another server process (`TestServer::another_process`).
    pub fn on(&self, base_url: &str) -> Session {
        Session {
            base_url: base_url.to_owned(),
            token: self.token.clone(),
            client: self.client.clone(),
        }
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let r = request
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("the server answers");
        let status = r.status();
        let text = r.text().await.unwrap_or_default();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, body)
    }

    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{}", self.base_url, path))
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(self.request(reqwest::Method::GET, path)).await
    }

    /// The items of every page of a list (`path` with its query), following `next_cursor`.
    pub async fn pages(&self, path: &str) -> Vec<Vec<Value>> {
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut pages = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let url = match &cursor {
                None => path.to_owned(),
                Some(c) => format!("{path}{sep}cursor={c}"),
            };
            let (status, page) = self.get(&url).await;
            assert_eq!(status, StatusCode::OK, "{url}: {page}");
            pages.push(page["items"].as_array().unwrap().clone());
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return pages,
            }
        }
    }

    pub async fn post(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        self.send(self.request(reqwest::Method::POST, path).json(body))
            .await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        self.send(self.request(reqwest::Method::PATCH, path).json(body))
            .await
    }

    pub async fn put(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        self.send(self.request(reqwest::Method::PUT, path).json(body))
            .await
    }

    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.send(self.request(reqwest::Method::DELETE, path)).await
    }

    /// Sends a prepared request (custom headers or bodies) with this session's token.
    pub async fn send_raw(&self, request: reqwest::RequestBuilder) -> (StatusCode, Value) {
        self.send(request).await
    }

    /// Sends a prepared request with this session's token; answers status, bytes and headers.
    pub async fn send_raw_bytes(
        &self,
        request: reqwest::RequestBuilder,
    ) -> (StatusCode, Vec<u8>, reqwest::header::HeaderMap) {
        let r = request
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("the server answers");
        let (status, headers) = (r.status(), r.headers().clone());
        (
            status,
            r.bytes().await.unwrap_or_default().to_vec(),
            headers,
        )
    }

    /// Uploads a file to an import endpoint as multipart field `file`.
    pub async fn upload(&self, path: &str, file_name: &str, bytes: Vec<u8>) -> (StatusCode, Value) {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_owned());
        let form = reqwest::multipart::Form::new().part("file", part);
        self.send(self.request(reqwest::Method::POST, path).multipart(form))
            .await
    }
}

/// Builds a small division file: rows of (code, parent_code, level, name).
pub fn division_csv(rows: &[(&str, &str, u32, &str)]) -> Vec<u8> {
    let mut s = String::from("code,parent_code,level,name\n");
    for (code, parent, level, name) in rows {
        s.push_str(&format!("{code},{parent},{level},{name}\n"));
    }
    s.into_bytes()
}

/// A small city: one city, two districts, two streets under the first, a community each.
pub const SMALL_CITY: &[(&str, &str, u32, &str)] = &[
    ("990100000000", "", 1, "测试市"),
    ("990101000000", "990100000000", 2, "甲区"),
    ("990102000000", "990100000000", 2, "乙区"),
    ("990101001000", "990101000000", 3, "东街道"),
    ("990101002000", "990101000000", 3, "西街道"),
    ("990101001001", "990101001000", 4, "东一社区"),
    ("990101002001", "990101002000", 4, "西一社区"),
];

/// Finds a unit's id by code through the API.
pub async fn unit_id(session: &Session, code: &str) -> String {
    let (status, body) = session.get(&format!("/api/v1/units?q={code}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"]
        .as_array()
        .and_then(|items| items.iter().find(|u| u["code"] == code))
        .and_then(|u| u["id"].as_str())
        .unwrap_or_else(|| panic!("unit {code} not found in {body}"))
        .to_owned()
}

/// A city tenant with SMALL_CITY imported, and the ids demand tests use.
pub struct City {
    pub t: TestTenant,
    /// 东一社区 (a community under 东街道).
    pub community: String,
    /// 东街道 (a street under 甲区).
    pub east: String,
    /// 甲区 (a district).
    pub district: String,
    /// 测试市 (the city).
    pub city: String,
}

pub async fn city(server: &TestServer) -> City {
    let t = server.new_tenant("city").await;
    let (status, body) = t
        .admin
        .upload("/api/v1/units/import", "c.csv", division_csv(SMALL_CITY))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    City {
        community: unit_id(&t.admin, "990101001001").await,
        east: unit_id(&t.admin, "990101001000").await,
        district: unit_id(&t.admin, "990101000000").await,
        city: unit_id(&t.admin, "990100000000").await,
        t,
    }
}

/// An account with one grant, logged in.
pub async fn person(
    server: &TestServer,
    t: &TestTenant,
    name: &str,
    role: &str,
    unit: &str,
) -> Session {
    let password = "Demand-Handler-26";
    let (status, body) = t
        .admin
        .post(
            "/api/v1/accounts",
            &json!({"username": name, "password": password, "grants": [{"role": role, "unit_id": unit}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    server.login(&t.slug, name, password).await
}

pub fn intake(origin: &str, grade: &str) -> Value {
    json!({
        "origin_unit": origin,
        "channel": "walk_in",
        "grade": grade,
        "category": "daily_life",
        "title": "楼道灯坏了",
        "description": "3栋2单元楼道灯不亮，老人晚上出行不便",
        "resident_name": "王阿姨",
        "phone": "138 1234 5678",
        "id_number": "11010519491231002X"
    })
}

/// The resident rates a demand through its receipt code, with no login: `intake`'s phone ends
/// in 5678, which the receipt page asks for.
pub async fn rate_as_resident(
    server: &TestServer,
    slug: &str,
    receipt: &str,
    body: Value,
) -> (StatusCode, Value) {
    let mut body = body;
    if body.get("phone_last4").is_none() {
        body["phone_last4"] = json!("5678");
    }
    let r = server
        .client()
        .post(server.url(&format!("/api/v1/public/{slug}/demands/{receipt}/rating")))
        .json(&body)
        .send()
        .await
        .expect("the rating is sent");
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// How many demands the session sees, over all statuses (`/demands/counts`).
pub async fn demand_total(s: &Session) -> i64 {
    let (_, counts) = s.get("/api/v1/demands/counts").await;
    counts
        .as_array()
        .expect("counts")
        .iter()
        .map(|c| c["count"].as_i64().expect("a count"))
        .sum()
}
