//! The legacy ingest name syntax, `my.app.cpu{env=prod,region=us-east}`,
//! parsed as Pyroscope's `labelset.Parse` does.

use crate::error::{Error, Result};

/// An app name and its labels, in the order given.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IngestName {
    /// Everything before `{`, trimmed (e.g. `my.app.cpu`).
    pub name: String,
    pub labels: Vec<(String, String)>,
}

const FORMAT: &str = "ingest name";

fn valid_service_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '/')
}

fn valid_label_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.')
}

impl IngestName {
    pub fn parse(s: &str) -> Result<IngestName> {
        let (name, rest) = match s.find('{') {
            Some(i) => (&s[..i], Some(&s[i + 1..])),
            None => (s, None),
        };
        let name = name.trim();
        if name.is_empty() {
            return Err(Error::invalid(FORMAT, "the application name is empty"));
        }
        if let Some(c) = name.chars().find(|&c| !valid_service_char(c)) {
            return Err(Error::invalid(FORMAT, format!("invalid character {c:?} in application name {name:?}")));
        }
        let mut labels = Vec::new();
        if let Some(rest) = rest {
            let body = rest
                .trim_end()
                .strip_suffix('}')
                .ok_or_else(|| Error::invalid(FORMAT, format!("{s:?}: missing closing '}}'")))?;
            for pair in body.split(',').filter(|p| !p.trim().is_empty()) {
                labels.push(parse_pair(pair)?);
            }
        }
        Ok(IngestName { name: name.to_owned(), labels })
    }

    /// Splits `app.cpu` into (`app`, `cpu`); no dot means (`name`, `cpu`).
    pub fn app_and_suffix(&self) -> (&str, &str) {
        match self.name.rfind('.') {
            Some(i) => (&self.name[..i], &self.name[i + 1..]),
            None => (&self.name, "cpu"),
        }
    }
}

fn parse_pair(pair: &str) -> Result<(String, String)> {
    let (k, v) = pair
        .split_once('=')
        .ok_or_else(|| Error::invalid(FORMAT, format!("label {:?} is not of the form key=value", pair.trim())))?;
    let (k, v) = (k.trim(), v.trim());
    if k.is_empty() {
        return Err(Error::invalid(FORMAT, "empty label name"));
    }
    if k == "__name__" {
        return Err(Error::invalid(FORMAT, "label name __name__ is reserved"));
    }
    if let Some(c) = k.chars().find(|&c| !valid_label_char(c)) {
        return Err(Error::invalid(FORMAT, format!("invalid character {c:?} in label name {k:?}")));
    }
    Ok((k.to_owned(), v.to_owned()))
}
