//! Golden files for Kiln's tests (dev-only). [`check`] compares an output
//! with its golden file and, on a mismatch, panics with where they first
//! differ (the line with context for text, the byte offset for binary)
//! and the command that re-blesses it; with `KILN_BLESS=1` it rewrites the
//! golden file instead.
//!
//! Only outputs are golden files. Format fixtures that must stay readable
//! (a block written by an old version) are never rewritten by this switch.

use std::path::Path;

/// Lines of context shown around the first differing line.
const CONTEXT: usize = 3;

/// Compares `actual` with the file at `path`; rewrites the file under
/// `KILN_BLESS=1`.
pub fn check(path: impl AsRef<Path>, actual: impl AsRef<[u8]>) {
    let (path, actual) = (path.as_ref(), actual.as_ref());
    if std::env::var_os("KILN_BLESS").is_some_and(|v| v == "1") {
        bless(path, actual);
        return;
    }
    let expected = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => panic!("golden file {}: {e}\nto write it, run: {}", path.display(), bless_command()),
    };
    if let Some(difference) = describe(&expected, actual) {
        panic!("{} differs from its golden file:\n{difference}\nif intended, run: {}", path.display(), bless_command());
    }
}

fn bless(path: &Path, actual: &[u8]) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    }
    std::fs::write(path, actual).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// `KILN_BLESS=1 cargo test -p PACKAGE --test TEST`, from what cargo tells
/// the running test binary.
fn bless_command() -> String {
    let package = std::env::var("CARGO_PKG_NAME").unwrap_or_else(|_| "PACKAGE".to_owned());
    let exe = std::env::current_exe().ok();
    let stem = exe.as_deref().and_then(Path::file_stem).and_then(|s| s.to_str()).unwrap_or("TEST");
    let test = stem.rsplit_once('-').map_or(stem, |(name, _hash)| name);
    format!("KILN_BLESS=1 cargo test -p {package} --test {test}")
}

/// Where `actual` first departs from `expected`, or `None` if they are equal.
pub fn describe(expected: &[u8], actual: &[u8]) -> Option<String> {
    if expected == actual {
        return None;
    }
    Some(match (std::str::from_utf8(expected), std::str::from_utf8(actual)) {
        (Ok(e), Ok(a)) => text_difference(e, a),
        _ => binary_difference(expected, actual),
    })
}

fn text_difference(expected: &str, actual: &str) -> String {
    let (e, a): (Vec<&str>, Vec<&str>) = (expected.split('\n').collect(), actual.split('\n').collect());
    let first = e.iter().zip(&a).position(|(x, y)| x != y).unwrap_or(e.len().min(a.len()));
    let from = first.saturating_sub(CONTEXT);
    let show = |lines: &[&str], sign: char| {
        let shown = lines.iter().enumerate().skip(from).take(first - from + 1 + CONTEXT);
        shown.map(|(i, l)| format!("{sign} {:>5} | {l}\n", i + 1)).collect::<String>()
    };
    format!(
        "first difference at line {} (expected {} lines, got {}):\nexpected:\n{}actual:\n{}",
        first + 1,
        e.len(),
        a.len(),
        show(&e, '-'),
        show(&a, '+')
    )
}

fn binary_difference(expected: &[u8], actual: &[u8]) -> String {
    let first = expected.iter().zip(actual).position(|(x, y)| x != y).unwrap_or(expected.len().min(actual.len()));
    let around = |bytes: &[u8]| format!("{:02x?}", &bytes[first.min(bytes.len())..(first + 16).min(bytes.len())]);
    format!(
        "first difference at byte {first} (expected {} bytes, got {}):\nexpected: {}\nactual:   {}\n",
        expected.len(),
        actual.len(),
        around(expected),
        around(actual)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_outputs_have_no_difference() {
        assert_eq!(describe(b"a\nb\n", b"a\nb\n"), None);
    }

    #[test]
    fn text_names_the_first_differing_line_with_context() {
        let expected = "1\n2\n3\n4\n5\n6\n7\n8\n";
        let actual = "1\n2\n3\n4\nfive\n6\n7\n8\n";
        let d = describe(expected.as_bytes(), actual.as_bytes()).unwrap();
        assert!(d.starts_with("first difference at line 5 "), "{d}");
        assert!(d.contains("-     5 | 5\n") && d.contains("+     5 | five\n"), "{d}");
        assert!(d.contains("-     2 | 2\n") && d.contains("+     8 | 8\n"), "three lines each side: {d}");
        assert!(!d.contains("|  1\n") && !d.contains("-     1 |"), "no more: {d}");
    }

    #[test]
    fn a_shorter_text_differs_where_it_ends() {
        let d = describe(b"a\nb\nc", b"a\nb").unwrap();
        assert!(d.starts_with("first difference at line 3 (expected 3 lines, got 2)"), "{d}");
    }

    #[test]
    fn binary_names_the_first_differing_byte() {
        let d = describe(&[0xff, 1, 2, 3], &[0xff, 1, 9, 3, 4]).unwrap();
        assert!(d.starts_with("first difference at byte 2 (expected 4 bytes, got 5)"), "{d}");
        assert!(d.contains("expected: [02, 03]") && d.contains("actual:   [09, 03, 04]"), "{d}");
    }
}
