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
        let send_buffer = core.config.socket_send_buffer;
        let stall_timeout = Duration::from_secs(core.config.socket_stall_timeout_secs);
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .wrap(
                    // The path without its query: a WebSocket's access token travels there.
                    actix_web::middleware::Logger::new("%{method}xi %U %s %b %Dms")
                        .custom_request_replace("method", |req| req.method().to_string()),
                )
                .configure(api::routes)
        })
        .on_connect(move |connection, _| {
            tune_socket(connection, send_buffer, stall_timeout);
        })
        // Signals are ours (see `fnt serve`): jobs drain before the server stops.
        .disable_signals()
        .shutdown_timeout(5)
        .listen(listener)?
        .run();
        Ok(Self { core, addr, server })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A handle that can stop the server.
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
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
