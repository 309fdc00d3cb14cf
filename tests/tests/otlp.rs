//! Traces leave over OTLP when export is configured, and a caller's W3C `traceparent` is
//! continued. (Its own test binary: the tracing subscriber is global to a process.)
mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::routing::post;
use minqing_server::telemetry::{Otlp, init_with};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_are_exported_over_otlp_http_under_the_callers_trace() {
    let received: Arc<Mutex<Vec<Bytes>>> = Arc::default();
    let sink = received.clone();
    let collector = Router::new().route(
        "/v1/traces",
        post(move |body: Bytes| {
            let sink = sink.clone();
            async move {
                sink.lock().unwrap().push(body);
                (
                    [("content-type", "application/x-protobuf")],
                    Vec::<u8>::new(),
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let collector_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, collector).await });

    let telemetry = init_with(
        false,
        "info",
        Some(Otlp {
            endpoint: Some(collector_url),
            http: true,
            service_name: "minqing-test".into(),
        }),
    )
    .unwrap();
    let server = common::TestServer::start().await;
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let response = server
        .client()
        .get(server.url("/healthz"))
        .header("traceparent", format!("00-{trace_id}-00f067aa0ba902b7-01"))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());

    let telemetry = Arc::new(telemetry);
    let mut exported = Vec::new();
    for _ in 0..50 {
        let t = telemetry.clone();
        tokio::task::spawn_blocking(move || t.flush())
            .await
            .unwrap();
        exported = received
            .lock()
            .unwrap()
            .iter()
            .flat_map(|b| b.to_vec())
            .collect();
        if !exported.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!exported.is_empty(), "no spans reached the collector");
    // The protobuf carries trace ids as 16 raw bytes: the request span joined the caller's trace.
    let id: Vec<u8> = (0..16)
        .map(|i| u8::from_str_radix(&trace_id[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    assert!(
        exported.windows(16).any(|w| w == id.as_slice()),
        "the caller's trace id is not in the export"
    );
    assert!(
        exported.windows(12).any(|w| w == b"minqing-test"),
        "the service name is not in the export"
    );
}
