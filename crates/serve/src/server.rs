//! The HTTP/1.1 server around the gateway: connections, limits on what a client sends, and a
//! graceful shutdown.
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

use crate::gateway::Gateway;

/// Limits on connections.
#[derive(Debug, Clone)]
pub struct ConnectionLimits {
    /// The longest a client may take to send a request's head; then the connection is closed
    /// (what stops a client that sends a byte a second).
    pub header_timeout: Duration,
    /// The largest request head, in bytes (431 beyond).
    pub max_head: usize,
    /// How long in-flight requests may take to finish once a shutdown begins.
    pub grace: Duration,
}

/// How a shutdown ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shutdown {
    /// Every connection finished its requests within the grace period.
    Drained,
    /// The grace period ended with connections still open.
    GraceExpired,
}

/// Serves `gateway` on `listener` until `stop` completes; then stops accepting, lets in-flight
/// requests finish within the grace period, and returns.
pub async fn serve(
    gateway: Arc<Gateway>,
    listener: TcpListener,
    limits: ConnectionLimits,
    stop: impl Future<Output = ()>,
) -> std::io::Result<Shutdown> {
    let local = listener.local_addr()?;
    let graceful = GracefulShutdown::new();
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(limits.max_head.max(8192));
    tokio::pin!(stop);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // A full descriptor table or a connection reset before accept: go on serving.
                Err(e) => {
                    tracing::warn!("cannot accept a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        stream.set_nodelay(true).ok();
        let gateway = gateway.clone();
        let service = service_fn(move |request| gateway.clone().handle(request, remote, local));
        let connection = http.serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!("connection from {remote} ended: {e}");
            }
        });
    }
    // New connections are refused from here: the listener is closed.
    drop(listener);
    tracing::info!(
        "shutting down: finishing the requests in flight (grace {:?})",
        limits.grace
    );
    Ok(
        match tokio::time::timeout(limits.grace, graceful.shutdown()).await {
            Ok(()) => Shutdown::Drained,
            Err(_) => Shutdown::GraceExpired,
        },
    )
}

/// Completes at the first SIGTERM or SIGINT (Ctrl-C).
pub async fn termination() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        // Without signal handlers, the default action (exit) still stops the server.
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}
