//! Logs and traces: human-readable logs by default, JSON when asked; spans leave over OTLP when
//! the standard `OTEL_EXPORTER_OTLP_ENDPOINT` is set (gRPC, or HTTP with
//! `OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf`).
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Keeps the exporter alive; flushes spans when dropped.
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Sends the spans still buffered (tests, and before exit).
    pub fn flush(&self) {
        if let Some(p) = &self.provider {
            let _ = p.force_flush();
        }
    }
}

/// Where spans go: the standard `OTEL_*` variables, read in `main`, or given by a test.
#[derive(Debug, Clone)]
pub struct Otlp {
    /// Unset means the exporter's own default (`OTEL_EXPORTER_OTLP_ENDPOINT` etc.).
    pub endpoint: Option<String>,
    pub http: bool,
    pub service_name: String,
}

impl Otlp {
    /// Export is on when `OTEL_EXPORTER_OTLP_ENDPOINT` (or its traces variant) is set.
    pub fn from_env() -> Option<Self> {
        let set = |name: &str| std::env::var(name).is_ok_and(|v| !v.is_empty());
        if !set("OTEL_EXPORTER_OTLP_ENDPOINT") && !set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") {
            return None;
        }
        let protocol = std::env::var("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
            .or_else(|_| std::env::var("OTEL_EXPORTER_OTLP_PROTOCOL"))
            .unwrap_or_else(|_| "grpc".into());
        Some(Self {
            endpoint: None,
            http: protocol.starts_with("http"),
            service_name: std::env::var("OTEL_SERVICE_NAME").unwrap_or_else(|_| "minqing".into()),
        })
    }
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        if let Some(p) = self.provider.take() {
            let _ = p.shutdown();
        }
    }
}

fn otlp_provider(otlp: &Otlp) -> anyhow::Result<SdkTracerProvider> {
    use opentelemetry_otlp::WithExportConfig;
    let exporter = if otlp.http {
        let mut builder = opentelemetry_otlp::SpanExporter::builder().with_http();
        if let Some(e) = &otlp.endpoint {
            builder = builder.with_endpoint(format!("{}/v1/traces", e.trim_end_matches('/')));
        }
        builder.build()?
    } else {
        let mut builder = opentelemetry_otlp::SpanExporter::builder().with_tonic();
        if let Some(e) = &otlp.endpoint {
            builder = builder.with_endpoint(e.clone());
        }
        builder.build()?
    };
    let resource = opentelemetry_sdk::Resource::builder()
        .with_service_name(otlp.service_name.clone())
        .build();
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource)
        .build())
}

/// Installs the global subscriber once; later calls (tests start many servers) do nothing.
/// `RUST_LOG` overrides the default level (`info`).
pub fn init(json: bool) -> anyhow::Result<Telemetry> {
    init_with(json, "info", Otlp::from_env())
}

pub fn init_with(
    json: bool,
    default_level: &'static str,
    otlp: Option<Otlp>,
) -> anyhow::Result<Telemetry> {
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let filter = move || {
        EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| EnvFilter::new(format!("{default_level},sqlx=warn,sea_orm=warn")))
    };
    let fmt = if json {
        tracing_subscriber::fmt::layer()
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .with_filter(filter())
            .boxed()
    } else {
        tracing_subscriber::fmt::layer()
            .with_filter(filter())
            .boxed()
    };
    let provider = otlp.as_ref().map(otlp_provider).transpose()?;
    let otel = provider.as_ref().map(|p| {
        tracing_opentelemetry::layer()
            .with_tracer(p.tracer("minqing"))
            .with_filter(filter())
    });
    if let Some(p) = &provider {
        opentelemetry::global::set_tracer_provider(p.clone());
    }
    let _ = tracing_subscriber::registry()
        .with(fmt)
        .with(otel)
        .try_init();
    Ok(Telemetry { provider })
}
