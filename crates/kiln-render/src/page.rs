//! The HTML page around the inlined assets and the data.

use crate::assets::{css, inlined_script};
use crate::ReportMeta;

/// Allows only inline script and style and `data:`/`blob:` images: the
/// page cannot make a network request even if a bug tried to.
const CSP: &str = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
                   img-src data: blob:; base-uri 'none'; form-action 'none'";

/// The page, with `data_json` (already script-safe) embedded.
pub fn html(meta: &ReportMeta, data_json: &str) -> String {
    let script = inlined_script();
    let title = if meta.title.is_empty() { "Kiln flame graph" } else { meta.title.as_str() };
    let mut out = String::with_capacity(data_json.len() + script.len() + 16 * 1024);
    out.push_str("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str(&format!("<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n"));
    out.push_str(&format!("<meta name=\"generator\" content=\"kiln {}\">\n", env!("CARGO_PKG_VERSION")));
    out.push_str(&format!("<title>{}</title>\n<style>\n{}</style>\n</head>\n<body>\n", escape_html(title), css()));
    out.push_str("<div id=\"kiln\" class=\"kiln\"><noscript>This report needs JavaScript.</noscript></div>\n");
    out.push_str("<script type=\"application/json\" id=\"kiln-data\">");
    out.push_str(data_json);
    out.push_str("</script>\n<script type=\"module\">\n");
    out.push_str(&script);
    out.push_str(
        "start(document.getElementById('kiln'), JSON.parse(document.getElementById('kiln-data').textContent));\n",
    );
    out.push_str("</script>\n</body>\n</html>\n");
    out
}

/// Escapes text for an HTML text node or a quoted attribute.
fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
