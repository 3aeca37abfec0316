//! The UI's files as the server answers them: built once from the assets
//! compiled into `kiln-render`, each with its content type and a strong
//! ETag over its bytes.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::OnceLock;

/// One file ready to be served.
pub struct Served {
    pub body: &'static str,
    pub content_type: &'static str,
    pub etag: String,
}

impl Served {
    fn new(name: &str, body: &'static str) -> Served {
        let mut h = DefaultHasher::new();
        body.hash(&mut h);
        let etag = format!("\"{:016x}-{:x}\"", h.finish(), body.len());
        Served { body, content_type: content_type(name), etag }
    }
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        _ => "text/html; charset=utf-8",
    }
}

/// The UI's page, answered on every UI path.
pub fn page() -> &'static Served {
    static PAGE: OnceLock<Served> = OnceLock::new();
    PAGE.get_or_init(|| Served::new("index.html", kiln_render::ui_page()))
}

/// The asset at `path` under `/assets/`: the report's modules and the UI's.
pub fn asset(path: &str) -> Option<&'static Served> {
    static ALL: OnceLock<HashMap<&'static str, Served>> = OnceLock::new();
    let all = ALL.get_or_init(|| {
        let files = kiln_render::assets().iter().chain(kiln_render::ui_files());
        files.map(|(name, body)| (*name, Served::new(name, body))).collect()
    });
    all.get(path)
}
