//! The front-end files, compiled into the binary, and their inlining into
//! one `<script type="module">`.
//!
//! Convention that makes the inlining exact (keep to it when editing
//! `assets/*.js`): every `import` is a single line at the top of a file, of
//! the form `import { a, b } from './x.js';`, and exports are written only
//! as `export function`, `export const` or `export class` at the start of a
//! line. Inlining concatenates the modules in dependency order, drops the
//! import lines and strips the `export ` keywords, so every top-level name
//! must be unique across all files. Served as they are, the same files are
//! real ES modules with relative imports.

/// The modules in dependency order: each only imports from earlier ones.
const MODULES: &[(&str, &str)] = &[
    ("format.js", include_str!("../assets/format.js")),
    ("colors.js", include_str!("../assets/colors.js")),
    ("graph.js", include_str!("../assets/graph.js")),
    ("derive.js", include_str!("../assets/derive.js")),
    ("search.js", include_str!("../assets/search.js")),
    ("top.js", include_str!("../assets/top.js")),
    ("flamegraph.js", include_str!("../assets/flamegraph.js")),
    ("table.js", include_str!("../assets/table.js")),
    ("export.js", include_str!("../assets/export.js")),
    ("ui.js", include_str!("../assets/ui.js")),
    ("header.js", include_str!("../assets/header.js")),
    ("app.js", include_str!("../assets/app.js")),
];

const CSS: (&str, &str) = ("kiln.css", include_str!("../assets/kiln.css"));

/// The stylesheet.
pub(crate) fn css() -> &'static str {
    CSS.1
}

/// Every asset as `(file name, contents)`, for the server to serve.
pub fn assets() -> &'static [(&'static str, &'static str)] {
    const ALL: [(&str, &str); MODULES.len() + 1] = {
        let mut all = [CSS; MODULES.len() + 1];
        let mut i = 0;
        while i < MODULES.len() {
            all[i + 1] = MODULES[i];
            i += 1;
        }
        all
    };
    &ALL
}

/// All modules as one script body (see the module comment).
pub(crate) fn inlined_script() -> String {
    let mut out = String::new();
    for (name, source) in MODULES {
        out.push_str("// ---- ");
        out.push_str(name);
        out.push('\n');
        for line in source.lines() {
            if line.starts_with("import ") {
                continue;
            }
            out.push_str(line.strip_prefix("export ").unwrap_or(line));
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_import_names_an_earlier_module() {
        for (i, (name, source)) in MODULES.iter().enumerate() {
            for line in source.lines().filter(|l| l.starts_with("import ")) {
                let from = line.split("from './").nth(1).and_then(|s| s.strip_suffix("';"));
                let from = from.unwrap_or_else(|| panic!("{name}: import not on one line: {line}"));
                assert!(MODULES[..i].iter().any(|(m, _)| *m == from), "{name} imports {from}, not an earlier module");
            }
            assert!(!source.contains("export default") && !source.contains("export {"), "{name}: unsupported export");
        }
    }

    #[test]
    fn top_level_names_are_unique_across_modules() {
        let mut seen = HashSet::new();
        for (name, source) in MODULES {
            for line in source.lines() {
                let line = line.strip_prefix("export ").unwrap_or(line);
                let decl = ["function ", "const ", "class ", "let "].iter().find_map(|k| line.strip_prefix(k));
                let Some(rest) = decl else { continue };
                let ident: String =
                    rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '$').collect();
                assert!(seen.insert(ident.clone()), "{name}: top-level name {ident} is declared twice");
            }
        }
    }

    #[test]
    fn assets_hold_no_markup_that_ends_an_inline_element() {
        for (name, source) in assets() {
            let lower = source.to_ascii_lowercase();
            assert!(!lower.contains("</script") && !lower.contains("</style") && !lower.contains("<!--"), "{name}");
        }
    }
}
