//! Streams an answer computed on a blocking thread to the client, under a deadline.
//!
//! The producer serialises into a buffer that is sent in chunks over a bounded channel, so
//! memory stays bounded whatever the result size. The first chunk is held back until it is full
//! or the answer is complete: an error before that (deadline, result limit, bad query) still
//! becomes a proper error status. An error after bytes were sent ends the stream with an error,
//! which aborts the HTTP message (no final chunk), so a cut-off result never looks complete.

use super::AppState;
use super::error::ApiError;
use crate::store::StoreError;
use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use oxigraph::sparql::CancellationToken;
use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::mpsc;

const CHUNK_BYTES: usize = 64 * 1024;

/// What the producer sends: a part of the answer, or the whole of it in one piece (the answer
/// was complete before its first chunk filled), which goes out with a Content-Length and no
/// chunked encoding.
enum Piece {
    Part(Bytes),
    Whole(Bytes),
}

type Chunk = Result<Piece, StoreError>;

/// A `Write` that hands full chunks to the response stream.
pub struct ChunkWriter {
    buffer: Vec<u8>,
    tx: mpsc::Sender<Chunk>,
    /// Whether a chunk was sent.
    sent: bool,
    /// A copy of everything written, while it stays under its limit (for the result cache).
    copy: Option<(Vec<u8>, usize)>,
}

impl ChunkWriter {
    /// Keeps a copy of what is written from now on, given up past `limit` bytes.
    pub fn keep_copy(&mut self, limit: usize) {
        self.copy = Some((Vec::new(), limit));
    }

    /// The copy, if it stayed under its limit.
    pub fn take_copy(&mut self) -> Option<Vec<u8>> {
        self.copy.take().map(|(bytes, _)| bytes)
    }

    fn send_buffer(&mut self, last: bool) -> io::Result<()> {
        let chunk = Bytes::from(std::mem::replace(
            &mut self.buffer,
            Vec::with_capacity(CHUNK_BYTES),
        ));
        let piece = if last && !self.sent {
            Piece::Whole(chunk)
        } else {
            Piece::Part(chunk)
        };
        self.sent = true;
        self.tx
            .blocking_send(Ok(piece))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client went away"))
    }
}

impl Write for ChunkWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if let Some((copy, limit)) = &mut self.copy {
            if copy.len() + data.len() > *limit {
                self.copy = None;
            } else {
                copy.extend_from_slice(data);
            }
        }
        self.buffer.extend_from_slice(data);
        if self.buffer.len() >= CHUNK_BYTES {
            self.send_buffer(false)?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// What a producer gets: where to write, and the token its evaluation must honour.
pub struct Producer {
    pub writer: ChunkWriter,
    pub cancel: CancellationToken,
}

/// Maps an I/O error of the writer: a closed channel means the client left.
pub fn write_error(e: io::Error) -> StoreError {
    if e.kind() == io::ErrorKind::BrokenPipe {
        StoreError::Cancelled
    } else {
        StoreError::Storage(e.to_string())
    }
}

/// Runs `produce` on a blocking thread with the query deadline and concurrency limit, and turns
/// what it writes into a response with `content_type`.
pub async fn respond<F>(
    state: &AppState,
    content_type: String,
    produce: F,
) -> Result<Response, ApiError>
where
    F: FnOnce(&mut Producer) -> Result<(), StoreError> + Send + 'static,
{
    let permit = match tokio::time::timeout(
        state.config.query_timeout,
        Arc::clone(&state.query_slots).acquire_owned(),
    )
    .await
    {
        Ok(Ok(permit)) => permit,
        _ => {
            return Err(ApiError::Busy(
                "every query slot stayed busy for the whole deadline".into(),
            ));
        }
    };
    let (tx, mut rx) = mpsc::channel::<Chunk>(4);
    let cancel = CancellationToken::new();
    let timed_out = Arc::new(AtomicBool::new(false));
    let deadline = state.config.query_timeout;

    // The watchdog: cancels the evaluation at the deadline, or as soon as the client is gone.
    let watchdog = {
        let cancel = cancel.clone();
        let timed_out = Arc::clone(&timed_out);
        let tx = tx.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = tokio::time::sleep(deadline) => {
                    timed_out.store(true, Ordering::SeqCst);
                }
                () = tx.closed() => {}
            }
            cancel.cancel();
        })
    };

    let secs = deadline.as_secs().max(1);
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let mut producer = Producer {
            writer: ChunkWriter {
                buffer: Vec::with_capacity(CHUNK_BYTES),
                tx: tx.clone(),
                sent: false,
                copy: None,
            },
            cancel,
        };
        let result = produce(&mut producer).and_then(|()| {
            if producer.writer.buffer.is_empty() {
                Ok(())
            } else {
                producer.writer.send_buffer(true).map_err(write_error)
            }
        });
        if let Err(error) = result {
            let error = match error {
                StoreError::Cancelled if timed_out.load(Ordering::SeqCst) => {
                    StoreError::Deadline(secs)
                }
                other => other,
            };
            // Nobody may be listening any more; then there is no one to tell.
            let _ = tx.blocking_send(Err(error));
        }
        watchdog.abort();
    });

    // The producer notices the deadline when it next looks at its cancel token; one blocked
    // reading a remote engine that has not answered yet does not look until the engine
    // answers. The client's answer does not wait for that: the deadline is the deadline.
    let grace = std::time::Duration::from_millis(250);
    let Ok(first) = tokio::time::timeout(deadline + grace, rx.recv()).await else {
        return Err(StoreError::Deadline(secs).into());
    };
    let first = match first {
        Some(Err(error)) => return Err(error.into()),
        Some(Ok(Piece::Whole(whole))) => {
            return answer(Body::from(whole), &content_type);
        }
        Some(Ok(Piece::Part(chunk))) => Some(chunk),
        None => None,
    };
    let rest = futures_util::stream::unfold(rx, |mut rx| async move {
        match rx.recv().await? {
            Ok(Piece::Part(chunk) | Piece::Whole(chunk)) => Some((Ok(chunk), rx)),
            Err(error) => {
                tracing::warn!("response cut short after it started: {error}");
                Some((Err(io::Error::other(error.to_string())), rx))
            }
        }
    });
    let body = match first {
        Some(first) => Body::from_stream(futures_util::StreamExt::chain(
            futures_util::stream::iter([Ok::<_, io::Error>(first)]),
            rest,
        )),
        None => Body::empty(),
    };
    answer(body, &content_type)
}

/// A 200 response with this body, varying on Accept.
fn answer(body: Body, content_type: &str) -> Result<Response, ApiError> {
    let mut response = Response::new(body);
    *response.status_mut() = StatusCode::OK;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(content_type).map_err(|e| ApiError::Internal(e.to_string()))?,
    );
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept"));
    Ok(response)
}
