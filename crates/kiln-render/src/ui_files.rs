//! The web UI's own files, compiled into the binary and served as they are
//! by `kiln server` beside the report's modules ([`crate::assets`]), which
//! the UI imports (`../flamegraph.js`, ...) instead of drawing a second
//! flame graph. Paths are relative to `assets/`.

/// The page every UI path answers with; it loads `ui/early.js` (the first
/// page's queries) and `ui/main.js` (the UI).
const PAGE: &str = include_str!("../assets/ui/index.html");

use std::sync::OnceLock;

/// The UI's modules and stylesheet.
const FILES: &[(&str, &str)] = &[
    ("ui/ui.css", include_str!("../assets/ui/ui.css")),
    ("ui/early.js", include_str!("../assets/ui/early.js")),
    ("ui/queries.js", include_str!("../assets/ui/queries.js")),
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

/// The page's two module scripts, in the order they run.
const ENTRIES: [&str; 2] = ["ui/early.js", "ui/main.js"];

/// The HTML page of the UI, with a `<link rel="modulepreload">` for every
/// module its scripts import, directly or not (those of `early.js`
/// first): the browser fetches them all at once instead of one level of
/// imports after another.
pub fn ui_page() -> &'static str {
    static WITH_PRELOADS: OnceLock<String> = OnceLock::new();
    WITH_PRELOADS.get_or_init(|| {
        let links: String = imported_by(&ENTRIES)
            .iter()
            .map(|m| format!("<link rel=\"modulepreload\" href=\"/assets/{m}\">\n"))
            .collect();
        let main = format!("<script type=\"module\" src=\"/assets/{}\"", ENTRIES[1]);
        let at = PAGE.find(&main).expect("the page loads main.js");
        format!("{}{links}{}", &PAGE[..at], &PAGE[at..])
    })
}

/// Every UI file as `(path under assets/, contents)`.
pub fn ui_files() -> &'static [(&'static str, &'static str)] {
    FILES
}

/// The served modules the `entries` import, directly or not, each entry's
/// nearest first (the entries left out). Imports are one line each (see
/// [`crate::assets`]).
fn imported_by(entries: &[&str]) -> Vec<&'static str> {
    let served: Vec<(&'static str, &'static str)> = crate::assets().iter().chain(ui_files()).copied().collect();
    let source = |name: &str| served.iter().find(|(n, _)| *n == name).copied();
    let mut order: Vec<&'static str> = Vec::new();
    for entry in entries {
        let mut next = order.len();
        let mut from = source(entry);
        while let Some((name, text)) = from {
            for spec in imports(text) {
                let target = resolve(name, spec);
                if let Some((n, _)) = source(&target).filter(|(n, _)| !entries.contains(n) && !order.contains(n)) {
                    order.push(n);
                }
            }
            from = order.get(next).and_then(|m| source(m));
            next += 1;
        }
    }
    order
}

/// The specifiers of a module's `import ... from '...';` lines.
fn imports(source: &str) -> impl Iterator<Item = &str> {
    source
        .lines()
        .filter(|l| l.starts_with("import "))
        .filter_map(|l| l.split(" from '").nth(1).and_then(|s| s.strip_suffix("';")))
}

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

#[cfg(test)]
mod tests {
    use super::*;

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
            for rest in ui_page().split(attr).skip(1) {
                let path = rest.split('"').next().unwrap();
                assert!(served.contains(&path), "the page loads {path}, which is not served");
            }
        }
        let page = ui_page();
        assert_eq!(page.matches("<script").count(), page.matches("<script type=\"module\" src=").count());
    }

    #[test]
    fn page_preloads_every_module_the_entry_imports_and_nothing_else() {
        let preloaded: Vec<&str> = ui_page()
            .split("<link rel=\"modulepreload\" href=\"/assets/")
            .skip(1)
            .map(|rest| rest.split('"').next().unwrap())
            .collect();
        for must in ["ui/api.js", "ui/pages/explore.js", "ui/pages/adhoc.js", "app.js", "header.js", "format.js"] {
            assert!(preloaded.contains(&must), "{must} is not preloaded: {preloaded:?}");
        }
        // The entries load themselves; stylesheets are not modules.
        for never in ["ui/early.js", "ui/main.js", "ui/ui.css", "kiln.css"] {
            assert!(!preloaded.contains(&never), "{never} is preloaded");
        }
        let mut unique = preloaded.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), preloaded.len(), "a module is preloaded twice");
        let main = ui_page().find("<script type=\"module\" src=\"/assets/ui/main.js\"").unwrap();
        assert!(ui_page().rfind("modulepreload").unwrap() < main, "the preloads come before main.js");
        // What early.js waits for is asked for first.
        let early = imported_by(&["ui/early.js"]);
        assert!(early.contains(&"ui/api.js") && !early.contains(&"app.js"), "{early:?}");
        assert_eq!(preloaded[..early.len()], early[..]);
    }
}
