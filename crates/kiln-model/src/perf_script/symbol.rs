//! How one `perf script` symbol becomes frame names, with the clean-ups that
//! `stackcollapse-perf` (and inferno's port of it) apply by default:
//! legacy Rust symbols finished demangling, `[unknown]` named after its DSO,
//! argument lists dropped, Java inlining (`a->b`) split and marked `_[i]`.

use std::borrow::Cow;

/// Length of a legacy Rust symbol hash suffix: `h` and 16 hex digits.
const RUST_HASH_LEN: usize = 17;

/// The frame names, outermost first, that the symbol `func` of a stack line
/// in `module` (the DSO, without parentheses) stands for. `java` is true when
/// the command name starts with `java`.
pub(super) fn frame_names(func: &str, module: &str, java: bool, mut emit: impl FnMut(&str)) {
    let func = finish_rust_demangling(func);
    for (i, piece) in func.split("->").enumerate() {
        let named = with_module_fallback(piece, module);
        let mut name = tidy(&named);
        if java && name.starts_with('L') && name.contains('/') {
            name = Cow::Owned(name[1..].to_owned());
        }
        if i > 0 && !name.contains("_[i]") {
            name = Cow::Owned(format!("{name}_[i]"));
        }
        emit(&name);
    }
}

/// `[unknown]` becomes the DSO's file name in brackets, e.g. `[libc.so.6]`,
/// unless the DSO is unknown too.
fn with_module_fallback<'a>(func: &'a str, module: &str) -> Cow<'a, str> {
    if func != "[unknown]" || module == "[unknown]" {
        return Cow::Borrowed(func);
    }
    let base = module.rsplit('/').next().unwrap_or(module);
    Cow::Owned(format!("[{base}]"))
}

/// Drops a top-level argument list and turns `;` (the folded separator) into
/// `:`.
fn tidy<'a>(name: &'a Cow<'a, str>) -> Cow<'a, str> {
    let short = without_arguments(name);
    if short.contains(';') {
        Cow::Owned(short.replace(';', ":"))
    } else {
        Cow::Borrowed(short)
    }
}

/// Cuts the name at the first `(` outside `<>`, `{}`, `[]` and `()` that
/// is neither a Go method receiver (`pkg.(*T).M`) nor a C++
/// `(anonymous namespace)`.
fn without_arguments(name: &str) -> &str {
    let mut depth: i64 = 0;
    let mut prev = '\0';
    for (i, c) in name.char_indices() {
        match c {
            '<' | '{' | '[' => depth += 1,
            '>' | '}' | ']' | ')' => depth -= 1,
            '(' => {
                let keep = prev == '.' || name[i..].starts_with("(anonymous namespace)");
                if depth == 0 && !keep {
                    return &name[..i];
                }
                depth += 1;
            }
            _ => {}
        }
        prev = c;
    }
    name
}

/// Finishes demangling a legacy Rust symbol that perf left half done, such
/// as `_$LT$std..fs..File$GT$::open::h0123456789abcdef`; other names are
/// returned unchanged.
fn finish_rust_demangling(symbol: &str) -> Cow<'_, str> {
    let Some(split) = symbol.len().checked_sub(RUST_HASH_LEN) else { return Cow::Borrowed(symbol) };
    let (Some(mut rest), Some(hash)) = (symbol.get(..split), symbol.get(split..)) else {
        return Cow::Borrowed(symbol);
    };
    if !(hash.starts_with('h') && hash[1..].bytes().all(|b| b.is_ascii_hexdigit())) {
        return Cow::Borrowed(symbol);
    }
    rest = rest.strip_suffix("::").unwrap_or(rest);
    if rest.starts_with("_$") {
        rest = &rest[1..];
    }
    let mut out = String::with_capacity(rest.len());
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("..") {
            out.push_str("::");
            rest = after;
        } else if rest.starts_with('$') {
            match RUST_ESCAPES.iter().find(|(code, _)| rest.starts_with(code)) {
                Some((code, text)) => {
                    out.push_str(text);
                    rest = &rest[code.len()..];
                }
                None => {
                    out.push_str(rest);
                    break;
                }
            }
        } else {
            let first = rest.chars().next().map_or(1, char::len_utf8);
            let end = rest[first..].find(['$', '.']).map_or(rest.len(), |i| i + first);
            out.push_str(&rest[..end]);
            rest = &rest[end..];
        }
    }
    Cow::Owned(out)
}

/// The `$..$` escapes of legacy Rust mangling.
const RUST_ESCAPES: [(&str, &str); 20] = [
    ("$SP$", "@"),
    ("$BP$", "*"),
    ("$RF$", "&"),
    ("$LT$", "<"),
    ("$GT$", ">"),
    ("$LP$", "("),
    ("$RP$", ")"),
    ("$C$", ","),
    ("$u7e$", "~"),
    ("$u20$", " "),
    ("$u27$", "'"),
    ("$u3d$", "="),
    ("$u5b$", "["),
    ("$u5d$", "]"),
    ("$u7b$", "{"),
    ("$u7d$", "}"),
    ("$u3b$", ";"),
    ("$u2b$", "+"),
    ("$u21$", "!"),
    ("$u22$", "\""),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn names(func: &str, module: &str, java: bool) -> Vec<String> {
        let mut v = Vec::new();
        frame_names(func, module, java, |n| v.push(n.to_owned()));
        v
    }

    #[test]
    fn argument_lists_are_dropped_but_go_receivers_and_anonymous_namespaces_kept() {
        assert_eq!(without_arguments("go/build.(*importReader).readByte"), "go/build.(*importReader).readByte");
        assert_eq!(without_arguments("foo<Vec::<usize>>(Vec<usize>)"), "foo<Vec::<usize>>");
        assert_eq!(without_arguments("base(BasicType) const"), "base");
        assert_eq!(without_arguments("{lambda(int, int)#2}::operator()"), "{lambda(int, int)#2}::operator");
        assert_eq!(without_arguments("(anonymous namespace)::myBar()"), "(anonymous namespace)::myBar");
        assert_eq!(without_arguments("[(foo)]::bar()"), "[(foo)]::bar");
    }

    #[test]
    fn half_demangled_rust_symbols_are_finished() {
        let f = finish_rust_demangling;
        assert_eq!(f("std::sys::unix::fs::File::open::hb90e1c1c787080f0"), "std::sys::unix::fs::File::open");
        assert_eq!(
            f("_$LT$std..fs..ReadDir$u20$as$u20$core..iter..Iterator$GT$::next::hc14f1750ca79129b"),
            "<std::fs::ReadDir as core::iter::Iterator>::next"
        );
        assert_eq!(
            f("_ZN3std2rt19lang_start_internal17h540c897fe52ba9c5E"),
            "_ZN3std2rt19lang_start_internal17h540c897fe52ba9c5E"
        );
        assert_eq!(f("ééééééééé"), "ééééééééé");
        assert_eq!(f("é.éh0123456789abcdef"), "é.é");
    }

    #[test]
    fn unknown_symbols_take_the_dso_name_and_java_inlining_is_split() {
        assert_eq!(names("[unknown]", "/usr/lib/libc.so.6", false), ["[libc.so.6]"]);
        assert_eq!(names("[unknown]", "[unknown]", false), ["[unknown]"]);
        assert_eq!(names("a;b(int)", "x", false), ["a:b"]);
        assert_eq!(names("Lcom/A;.f()V->Lcom/B;.g()V", "x", true), ["com/A:.f", "com/B:.g_[i]"]);
    }
}
