//! Errors for clients: a store's messages name files under the data
//! directory, which a client has no business seeing.

/// `message` with every absolute path (a word starting with `/`, quoted
/// or not, `file://` URLs too) replaced by `<path>`.
pub(crate) fn without_paths(message: &str) -> String {
    let words = message.split(' ').map(|word| {
        let start = word.find(|c: char| !matches!(c, '"' | '\'' | '(' | '[' | '`')).unwrap_or(word.len());
        let rest = &word[start..];
        if !(rest.starts_with('/') || rest.starts_with("file:/")) {
            return word.to_owned();
        }
        let end =
            rest.rfind(|c: char| !matches!(c, '"' | '\'' | ')' | ']' | '`' | ':' | ',' | '.')).map_or(0, |i| i + 1);
        format!("{}<path>{}", &word[..start], &rest[end..])
    });
    words.collect::<Vec<_>>().join(" ")
}
