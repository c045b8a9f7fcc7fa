//! Serving HTTP on a listener the caller bound, with the limits every server of the product needs: the OAuth
//! loopback listener today, the sessions API and webhook relay next.
//!
//! Invariants: a connection that sends nothing, or sends its headers slowly, is cut after
//! [`Limits::header_read_timeout`] (this also ends idle keep-alive connections between requests); a header
//! block over [`Limits::max_header_bytes`] gets 431 and the connection closes; no connection lives longer than
//! [`Limits::connection_lifetime`]; at most [`Limits::max_connections`] are served at once (the next ones wait
//! in the kernel's backlog); the shutdown future stops accepting, lets requests in flight finish for
//! [`Limits::drain`], then drops what is left. Nothing here reads or logs a request's content.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;

/// How much a server lets one client take.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The request line and headers together (hyper's floor for its read buffer is 8 KiB).
    pub max_header_bytes: usize,
    /// From the connection's start, or the end of its previous response, to its headers' last byte.
    pub header_read_timeout: Duration,
    /// A connection's whole life, however busy.
    pub connection_lifetime: Duration,
    /// Connections served at once.
    pub max_connections: usize,
    /// How long requests in flight may run on after the shutdown future resolves.
    pub drain: Duration,
}

impl Limits {
    /// For a listener a browser visits once (the OAuth redirect): small headers, short patience.
    pub const LOOPBACK: Limits = Limits {
        max_header_bytes: 16 * 1024,
        header_read_timeout: Duration::from_secs(10),
        connection_lifetime: Duration::from_secs(30),
        max_connections: 16,
        drain: Duration::from_secs(2),
    };
}

/// Serves `router` on `listener` under `limits` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            () = &mut shutdown => break,
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: pause rather than spin, then go on serving.
                    tracing::warn!(%error, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        while connections.try_join_next().is_some() {}
        connections.spawn(connection(
            stream,
            peer,
            router.clone(),
            limits,
            stop_rx.clone(),
            permit,
        ));
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let drained = tokio::time::timeout(limits.drain, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        connections.abort_all();
    }
    Ok(())
}

async fn connection(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    router: Router,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
    _permit: tokio::sync::OwnedSemaphorePermit,
) {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .max_buf_size(limits.max_header_bytes.max(8 * 1024) * 2)
        .max_header_size(limits.max_header_bytes)
        .header_read_timeout(limits.header_read_timeout);
    let served = builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(router));
    tokio::pin!(served);
    let outcome = tokio::time::timeout(limits.connection_lifetime, async {
        let finished = tokio::select! {
            result = served.as_mut() => Some(result),
            // Only whether it fired matters: the guard `wait_for` returns must not live across an await.
            _ = stopped(&mut stop) => None,
        };
        match finished {
            Some(result) => result,
            None => {
                served.as_mut().graceful_shutdown();
                served.as_mut().await
            }
        }
    })
    .await;
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(error)) => tracing::debug!(%peer, %error, "connection ended with an error"),
        Err(_) => tracing::debug!(%peer, "connection cut at the end of its lifetime"),
    }
}

/// Resolves once the server is told to stop (or the sender is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopped| *stopped).await.map(|_| ());
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    async fn started(limits: Limits) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let address = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
        let router = Router::new().route("/", axum::routing::get(|| async { "hello" }));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(serve(listener, router, limits, async {
            let _ = stopped.await;
        }));
        (address, stop)
    }

    /// Reads until the peer closes (or 5 s pass): what the server sent.
    async fn read_all(stream: &mut tokio::net::TcpStream) -> String {
        let mut received = Vec::new();
        let _ =
            tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut received)).await;
        String::from_utf8_lossy(&received).into_owned()
    }

    const QUICK: Limits = Limits {
        max_header_bytes: 16 * 1024,
        header_read_timeout: Duration::from_millis(300),
        connection_lifetime: Duration::from_secs(3),
        max_connections: 4,
        drain: Duration::from_millis(200),
    };

    #[tokio::test]
    async fn a_connection_that_never_sends_a_byte_is_cut() {
        let (address, _stop) = started(QUICK).await;
        let mut stream = tokio::net::TcpStream::connect(address)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let started = std::time::Instant::now();
        let _ = read_all(&mut stream).await;
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "closed by the header timeout, after {:?}",
            started.elapsed()
        );
    }

    #[tokio::test]
    async fn headers_sent_slowly_are_cut_and_oversized_headers_get_431() {
        let (address, _stop) = started(QUICK).await;
        let mut slow = tokio::net::TcpStream::connect(address)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        slow.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let started = std::time::Instant::now();
        let answer = read_all(&mut slow).await;
        assert!(!answer.contains("hello"), "{answer}");
        assert!(started.elapsed() < Duration::from_secs(2));

        let mut big = tokio::net::TcpStream::connect(address)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let padding = "a".repeat(20 * 1024);
        let request = format!("GET / HTTP/1.1\r\nHost: x\r\nX-Pad: {padding}\r\n\r\n");
        let _ = big.write_all(request.as_bytes()).await;
        let answer = read_all(&mut big).await;
        assert!(answer.starts_with("HTTP/1.1 431"), "{answer:.80}");
    }

    #[tokio::test]
    async fn a_well_behaved_request_is_served_and_shutdown_stops_accepting() {
        let (address, stop) = started(QUICK).await;
        let mut stream = tokio::net::TcpStream::connect(address)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let answer = read_all(&mut stream).await;
        assert!(
            answer.starts_with("HTTP/1.1 200") && answer.ends_with("hello"),
            "{answer}"
        );
        let _ = stop.send(());
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(tokio::net::TcpStream::connect(address).await.is_err());
    }
}
