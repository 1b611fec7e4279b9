//! The HTTP API under `/api/v1`, plus health probes. Routes are wired here, in one place.

pub mod error;
pub mod health;
pub mod jobs;
pub mod upload;
pub mod ws;

use actix_web::web;

use crate::core::Core;
use error::{extractor_error, method_not_allowed, not_found_route};

/// What every handler gets.
pub struct AppState {
    pub core: Core,
    /// Who the caller is. Until accounts exist every request acts as the built-in local user.
    pub owner: String,
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::JsonConfig::default().error_handler(|e, _| extractor_error(e)))
        .app_data(web::PathConfig::default().error_handler(|e, _| extractor_error(e)))
        .app_data(web::QueryConfig::default().error_handler(|e, _| extractor_error(e)))
        .service(resource("/healthz").route(web::get().to(health::healthz)))
        .service(resource("/readyz").route(web::get().to(health::readyz)))
        .service(
            web::scope("/api/v1")
                .service(
                    resource("/jobs")
                        .route(web::get().to(jobs::list::list_jobs))
                        .route(web::post().to(jobs::create::create_job)),
                )
                .service(resource("/jobs/{id}").route(web::get().to(jobs::get::get_job)))
                .service(
                    resource("/jobs/{id}/cancel").route(web::post().to(jobs::cancel::cancel_job)),
                )
                .service(
                    resource("/jobs/{id}/result").route(web::get().to(jobs::result::job_result)),
                )
                .service(resource("/jobs/{id}/retry").route(web::post().to(jobs::retry::retry_job)))
                .service(
                    resource("/jobs/{id}/events").route(web::get().to(jobs::events::job_events)),
                )
                .service(resource("/ws").route(web::get().to(ws::progress_socket)))
                .default_service(web::to(not_found_route)),
        )
        .default_service(web::to(not_found_route));
}

/// A resource that answers a wrong method with our 405 instead of an empty one.
fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(method_not_allowed))
}
