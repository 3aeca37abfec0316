//! The web UI's own files, compiled into the binary and served as they are
//! by `kiln server` beside the report's modules ([`crate::assets`]), which
//! the UI imports (`../flamegraph.js`, ...) instead of drawing a second
//! flame graph. Paths are relative to `assets/`.

/// The page every UI path answers with; it loads `ui/main.js`.
const PAGE: &str = include_str!("../assets/ui/index.html");

/// The UI's modules and stylesheet.
const FILES: &[(&str, &str)] = &[
    ("ui/ui.css", include_str!("../assets/ui/ui.css")),
    ("ui/main.js", include_str!("../assets/ui/main.js")),
    ("ui/api.js", include_str!("../assets/ui/api.js")),
    ("ui/auth.js", include_str!("../assets/ui/auth.js")),
    ("ui/state.js", include_str!("../assets/ui/state.js")),
    ("ui/time.js", include_str!("../assets/ui/time.js")),
    ("ui/range.js", include_str!("../assets/ui/range.js")),
    ("ui/selector.js", include_str!("../assets/ui/selector.js")),
    ("ui/shell.js", include_str!("../assets/ui/shell.js")),
    ("ui/timeline.js", include_str!("../assets/ui/timeline.js")),
    ("ui/flame.js", include_str!("../assets/ui/flame.js")),
    ("ui/pages/overview.js", include_str!("../assets/ui/pages/overview.js")),
    ("ui/pages/explore.js", include_str!("../assets/ui/pages/explore.js")),
    ("ui/pages/tags.js", include_str!("../assets/ui/pages/tags.js")),
    ("ui/exports.js", include_str!("../assets/ui/exports.js")),
    ("ui/pprof.js", include_str!("../assets/ui/pprof.js")),
    ("ui/sides.js", include_str!("../assets/ui/sides.js")),
    ("ui/pages/compare.js", include_str!("../assets/ui/pages/compare.js")),
    ("ui/pages/diff.js", include_str!("../assets/ui/pages/diff.js")),
    ("ui/sha256.js", include_str!("../assets/ui/sha256.js")),
    ("ui/upload.js", include_str!("../assets/ui/upload.js")),
    ("ui/pages/adhoc.js", include_str!("../assets/ui/pages/adhoc.js")),
];

/// The HTML page of the UI.
pub fn ui_page() -> &'static str {
    PAGE
}

/// Every UI file as `(path under assets/, contents)`.
pub fn ui_files() -> &'static [(&'static str, &'static str)] {
    FILES
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `dir/../x.js` and `./x.js` relative to the importing file's folder.
    fn resolve(from: &str, spec: &str) -> String {
        let mut parts: Vec<&str> = from.split('/').collect();
        parts.pop();
        for seg in spec.split('/') {
            match seg {
                "." => {}
                ".." => drop(parts.pop()),
                s => parts.push(s),
            }
        }
        parts.join("/")
    }

    #[test]
    fn every_ui_import_names_a_served_asset() {
        let served: Vec<&str> = crate::assets().iter().chain(ui_files()).map(|(n, _)| *n).collect();
        for (name, source) in ui_files() {
            for line in source.lines().filter(|l| l.starts_with("import ")) {
                let spec = line.split(" from '").nth(1).and_then(|s| s.strip_suffix("';")).unwrap();
                let target = resolve(name, spec);
                assert!(served.contains(&target.as_str()), "{name} imports {spec} ({target}), which is not served");
            }
        }
    }

    #[test]
    fn page_loads_only_served_files_and_no_inline_script() {
        let served: Vec<&str> = crate::assets().iter().chain(ui_files()).map(|(n, _)| *n).collect();
        for attr in ["src=\"/assets/", "href=\"/assets/"] {
            for rest in PAGE.split(attr).skip(1) {
                let path = rest.split('"').next().unwrap();
                assert!(served.contains(&path), "the page loads {path}, which is not served");
            }
        }
        assert_eq!(PAGE.matches("<script").count(), PAGE.matches("<script type=\"module\" src=").count());
    }
}
