//! The web UI (`web/`), embedded at build time (`build.rs`): static files with their content
//! types, long-lived caching for the hashed files under `/assets/`, and the single-page app's
//! `index.html` for every other path outside `/api/`, so that a reload of `/cases/C1` works.

use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

mod files {
    include!(concat!(env!("OUT_DIR"), "/web_assets.rs"));
}

fn find(path: &str) -> Option<&'static [u8]> {
    files::FILES
        .binary_search_by(|(p, _)| (*p).cmp(path))
        .ok()
        .and_then(|i| files::FILES.get(i))
        .map(|(_, bytes)| *bytes)
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or_default() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "ttf" => "font/ttf",
        _ => "application/octet-stream",
    }
}

/// Answers a GET outside `/api/`: the file if the UI has it, else the app's `index.html`.
pub async fn serve(uri: Uri) -> Response {
    let path = uri.path();
    if path.starts_with("/api/") {
        return crate::error::ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("没有这个接口：{path}"),
        )
        .into_response();
    }
    if let Some(bytes) = find(path).filter(|_| path != "/index.html") {
        let mut res = ([(header::CONTENT_TYPE, content_type(path))], bytes).into_response();
        if path.starts_with("/assets/") {
            res.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            );
        }
        return res;
    }
    match find("/index.html") {
        Some(index) => {
            let mut res =
                ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], index).into_response();
            res.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            res
        }
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "界面未构建：请在 web/ 目录运行 npm ci && npm run build",
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_ui_is_embedded_and_sorted() {
        assert!(
            find("/index.html").is_some(),
            "web/dist/index.html is embedded"
        );
        assert!(files::FILES.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(
            content_type("/assets/a-1.js"),
            "text/javascript; charset=utf-8"
        );
    }
}
