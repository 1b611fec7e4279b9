//! `Application`: the HTTP server in front of a `Core`, bound and ready to run.

use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{App, HttpServer, web};

use crate::api::{self, AppState};
use crate::auth::{AuthState, resolve_mode};
use crate::config::ServeConfig;
use crate::core::Core;
use crate::engine::Engines;

pub struct Application {
    pub core: Core,
    addr: SocketAddr,
    server: Server,
    /// `/metrics` on a listener of its own (`--metrics-bind`), away from the public port.
    metrics: Option<(SocketAddr, Server)>,
}

/// Stops the API server and the metrics listener together.
#[derive(Clone)]
pub struct AppHandle {
    server: actix_web::dev::ServerHandle,
    metrics: Option<actix_web::dev::ServerHandle>,
}

impl AppHandle {
    pub async fn stop(&self, graceful: bool) {
        if let Some(metrics) = &self.metrics {
            metrics.stop(graceful).await;
        }
        self.server.stop(graceful).await;
    }
}

impl Application {
    /// Starts the core and binds the listener (port 0 picks a free port).
    pub async fn build(config: ServeConfig, engines: Engines) -> anyhow::Result<Self> {
        let mode = resolve_mode(config.core.auth, config.bind).map_err(anyhow::Error::msg)?;
        let core = Core::start(config.core, engines).await?;
        let listener = TcpListener::bind(config.bind)?;
        let addr = listener.local_addr()?;
        let auth = AuthState::new(mode, &core.config, &core.db).await?;
        tracing::info!(?mode, limits = ?auth.limits, "sign-in");
        let google = match core.config.google().map_err(anyhow::Error::msg)? {
            Some(config) => Some(crate::google::Google::new(config)?),
            None => None,
        };
        let state = web::Data::new(AppState {
            core: core.clone(),
            auth,
            google,
        });
        let metrics = match config.metrics_bind {
            Some(bind) => {
                let listener = TcpListener::bind(bind)?;
                let addr = listener.local_addr()?;
                let state = state.clone();
                let server = HttpServer::new(move || {
                    App::new()
                        .app_data(state.clone())
                        .configure(api::metrics_routes)
                })
                .workers(1)
                .disable_signals()
                .shutdown_timeout(1)
                .listen(listener)?
                .run();
                Some((addr, server))
            }
            None => None,
        };
        let public_metrics = metrics.is_none();
        let send_buffer = core.config.socket_send_buffer;
        let stall_timeout = Duration::from_secs(core.config.socket_stall_timeout_secs);
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .wrap(actix_web::middleware::from_fn(api::observe::observe))
                .configure(|cfg| {
                    if public_metrics {
                        api::metrics_routes(cfg);
                    }
                    api::routes(cfg);
                })
        })
        .on_connect(move |connection, _| {
            tune_socket(connection, send_buffer, stall_timeout);
        })
        // Signals are ours (see `fnt serve`): jobs drain before the server stops.
        .disable_signals()
        .shutdown_timeout(5)
        .listen(listener)?
        .run();
        Ok(Self {
            core,
            addr,
            server,
            metrics,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Where `/metrics` is served when it has a listener of its own.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().map(|(addr, _)| *addr)
    }

    /// A handle that can stop the servers.
    pub fn handle(&self) -> AppHandle {
        AppHandle {
            server: self.server.handle(),
            metrics: self.metrics.as_ref().map(|(_, server)| server.handle()),
        }
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        match self.metrics {
            Some((_, metrics)) => {
                let (api, metrics) = futures_util::join!(self.server, metrics);
                api.and(metrics)
            }
            None => self.server.await,
        }
    }
}

fn tune_socket(connection: &dyn std::any::Any, send_buffer: Option<u32>, stall: Duration) {
    let Some(stream) = connection.downcast_ref::<actix_web::rt::net::TcpStream>() else {
        return;
    };
    let socket = socket2::SockRef::from(stream);
    if let Some(size) = send_buffer {
        let size = usize::try_from(size).unwrap_or(usize::MAX);
        if let Err(e) = socket.set_send_buffer_size(size) {
            tracing::warn!(error = %e, "could not cap a connection's send buffer");
        }
    }
    if let Err(e) = socket.set_tcp_user_timeout(Some(stall)) {
        tracing::warn!(error = %e, "could not set a connection's stall timeout");
    }
}
