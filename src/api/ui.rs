//! The web UI's two routes; its pages and assets are `crate::web`'s.

use actix_web::{HttpResponse, web};

use super::error::ApiError;

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/").route(web::get().to(index)))
        .service(web::resource("/assets/{name}").route(web::get().to(asset)));
}

async fn index() -> HttpResponse {
    crate::web::index()
}

async fn asset(name: web::Path<String>) -> Result<HttpResponse, ApiError> {
    crate::web::asset(&name).ok_or_else(|| ApiError::not_found("asset"))
}
