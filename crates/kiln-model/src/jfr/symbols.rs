//! Pyroscope's merging of JVM-generated class names, so that frames of
//! classes regenerated per process (lambdas, reflection accessors, CGLIB
//! proxies) fold together across profiles:
//! `Foo$$Lambda$14/0x0000000800c03000` and `Foo$$Lambda.0x00007ffa600c4da0`
//! become `Foo$$Lambda_`, `jdk/internal/reflect/GeneratedMethodAccessor31`
//! becomes `...GeneratedMethodAccessor_`, and `X$$EnhancerBySpringCGLIB$$1a2b`
//! becomes `X$$EnhancerBySpringCGLIB$$_`.

use std::borrow::Cow;

const ACCESSOR: &str = "jdk/internal/reflect/GeneratedMethodAccessor";
const LAMBDA: &str = "$$Lambda";
const CGLIB: &str = "$$EnhancerBySpringCGLIB$$";

/// The name with its generated part replaced by `_`, or unchanged.
pub(crate) fn merge_generated_names(name: &str) -> Cow<'_, str> {
    if let Some(digits) = name.strip_prefix(ACCESSOR) {
        if is_digits(digits) {
            return Cow::Owned(format!("{ACCESSOR}_"));
        }
    }
    if let Some(end) = last_marker(name, LAMBDA, is_lambda_suffix) {
        return Cow::Owned(format!("{}_", &name[..end]));
    }
    if let Some(end) = last_marker(name, CGLIB, |_| true) {
        return Cow::Owned(format!("{}_", &name[..end]));
    }
    Cow::Borrowed(name)
}

/// The end of the last occurrence of `marker` that has a non-empty prefix
/// and a suffix accepted by `suffix_ok`.
fn last_marker(name: &str, marker: &str, suffix_ok: impl Fn(&str) -> bool) -> Option<usize> {
    name.rmatch_indices(marker)
        .map(|(i, _)| i + marker.len())
        .find(|&end| end > marker.len() && suffix_ok(&name[end..]))
}

/// `\$?\d*[./](0x)?[\da-f]+` or `\d+`.
fn is_lambda_suffix(s: &str) -> bool {
    if is_digits(s) {
        return true;
    }
    let s = s.strip_prefix('$').unwrap_or(s);
    let rest = s.trim_start_matches(|c: char| c.is_ascii_digit());
    let Some(hex) = rest.strip_prefix(['.', '/']) else { return false };
    is_lower_hex(hex) || hex.strip_prefix("0x").is_some_and(is_lower_hex)
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_lower_hex(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::merge_generated_names as merge;

    #[test]
    fn generated_class_names_merge_like_pyroscope() {
        assert_eq!(
            merge("org/example/OrderService$$Lambda$669.0x0000000800fd7318"),
            "org/example/OrderService$$Lambda_"
        );
        assert_eq!(merge("Fib$$Lambda.0x00007ffa600c4da0"), "Fib$$Lambda_");
        assert_eq!(merge("Hot$$Lambda$14/0x0000000800c03000"), "Hot$$Lambda_");
        assert_eq!(merge("Hot$$Lambda123"), "Hot$$Lambda_");
        assert_eq!(
            merge("jdk/internal/reflect/GeneratedMethodAccessor31"),
            "jdk/internal/reflect/GeneratedMethodAccessor_"
        );
        assert_eq!(merge("a/B$$EnhancerBySpringCGLIB$$8f2e"), "a/B$$EnhancerBySpringCGLIB$$_");
    }

    #[test]
    fn ordinary_names_are_kept() {
        for name in
            ["java/lang/Thread", "run", "$$Lambda$1/0x1", "Hot$$Lambda$1+0x12", "Hot$$Lambda.0xZZ", "Hot$$Lambda"]
        {
            assert_eq!(merge(name), name);
        }
    }
}
