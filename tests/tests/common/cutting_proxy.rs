//! A TCP proxy in front of PostgreSQL that loses one intake batch's answer, the way a dropped
//! network link would: the batch reaches the database, its answer never reaches the server.
//! Everything else passes through untouched.
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the cut loses.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Cut {
    /// The batch is prepared and executed; from its CommandComplete on, its answer is dropped,
    /// and once the database says the transaction has ended (ReadyForQuery), the connection.
    AnswerAfterCommit,
    /// The batch never reaches the database; the connection is dropped.
    BatchBeforeSent,
}

/// The text every intake batch statement begins with (`intake_writer::one_statement`).
const BATCH: &[u8] = b"WITH s0 AS (UPDATE ledger_heads";

struct State {
    upstream: String,
    cut: Cut,
    armed: AtomicBool,
    cuts: AtomicUsize,
    /// The cut batch's statement completed and its transaction ended without an error.
    committed: AtomicBool,
}

pub struct CuttingProxy {
    /// The database URL to give the server: the real one, through the proxy.
    pub url: String,
    state: Arc<State>,
}

impl CuttingProxy {
    /// A proxy for `database_url` that cuts the first intake batch it sees once armed.
    pub async fn start(database_url: &str, cut: Cut) -> Self {
        let mut url = reqwest::Url::parse(database_url).expect("a database URL");
        let upstream = format!(
            "{}:{}",
            url.host_str().expect("a database host"),
            url.port().unwrap_or(5432)
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let port = listener.local_addr().expect("an address").port();
        url.set_host(Some("127.0.0.1")).expect("a host");
        url.set_port(Some(port)).expect("a port");
        let state = Arc::new(State {
            upstream,
            cut,
            armed: AtomicBool::new(false),
            cuts: AtomicUsize::new(0),
            committed: AtomicBool::new(false),
        });
        let serving = state.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(pipe(client, serving.clone()));
            }
        });
        Self {
            url: url.to_string(),
            state,
        }
    }

    /// The next intake batch on a new connection (whose statement text is sent) is cut.
    pub fn arm(&self) {
        self.state.armed.store(true, Ordering::SeqCst);
    }

    /// How many batches were cut.
    pub fn cuts(&self) -> usize {
        self.state.cuts.load(Ordering::SeqCst)
    }

    /// Whether the database committed the cut batch (its answer the server never saw).
    pub fn committed(&self) -> bool {
        self.state.committed.load(Ordering::SeqCst)
    }
}

async fn pipe(client: TcpStream, state: Arc<State>) {
    let Ok(upstream) = TcpStream::connect(&state.upstream).await else {
        return;
    };
    let (mut from_client, mut to_client) = client.into_split();
    let (mut from_db, mut to_db) = upstream.into_split();
    let cutting = Arc::new(AtomicBool::new(false));
    let up = {
        let (state, cutting) = (state.clone(), cutting.clone());
        async move {
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = match from_client.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                let chunk = &buf[..n];
                if chunk.windows(BATCH.len()).any(|w| w == BATCH)
                    && state.armed.swap(false, Ordering::SeqCst)
                {
                    state.cuts.fetch_add(1, Ordering::SeqCst);
                    cutting.store(true, Ordering::SeqCst);
                    // Leaving drops the database's side: the session ends, and so does `down`.
                    if state.cut == Cut::BatchBeforeSent {
                        break;
                    }
                }
                if to_db.write_all(chunk).await.is_err() {
                    break;
                }
            }
        }
    };
    let down = async move {
        let mut buf = vec![0u8; 64 * 1024];
        // Once cutting, the answer is read message by message (tag, then a length that counts
        // itself): the prepare's answer passes, the execution's is swallowed from its
        // CommandComplete on.
        let mut pending: Vec<u8> = Vec::new();
        let (mut completed, mut failed) = (false, false);
        'reading: loop {
            let n = match from_db.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if !cutting.load(Ordering::SeqCst) {
                if to_client.write_all(&buf[..n]).await.is_err() {
                    break;
                }
                continue;
            }
            pending.extend_from_slice(&buf[..n]);
            while pending.len() >= 5 {
                let len = u32::from_be_bytes([pending[1], pending[2], pending[3], pending[4]]);
                let whole = 1 + len as usize;
                if pending.len() < whole {
                    break;
                }
                let message: Vec<u8> = pending.drain(..whole).collect();
                match message[0] {
                    b'C' => completed = true,
                    b'E' => failed = true,
                    b'Z' if completed => {
                        state.committed.store(!failed, Ordering::SeqCst);
                        break 'reading;
                    }
                    _ => {}
                }
                if !completed && to_client.write_all(&message).await.is_err() {
                    break 'reading;
                }
            }
        }
    };
    tokio::join!(up, down);
}
