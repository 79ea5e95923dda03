//! Resolving one key through its layers (environment, file, default), recording where
//! its value came from, and placing errors at their line in the file.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use serde::Serialize;
use toml::Spanned;

use super::sources::{Setting, Source};
use super::{ConfigError, KEYS, KeyInfo};

/// Resolves keys one at a time, recording where each value came from.
pub(super) struct Layers<'a, E> {
    pub(super) path: &'a Path,
    pub(super) text: &'a str,
    pub(super) env: &'a E,
    pub(super) settings: Vec<Setting>,
}

impl<E: Fn(&str) -> Option<String>> Layers<'_, E> {
    pub(super) fn required<T>(
        &mut self,
        key: &'static str,
        file: Option<Spanned<T>>,
        default: T,
        check: impl Fn(&T) -> Result<(), String>,
    ) -> Result<T, ConfigError>
    where
        T: FromStr + Serialize,
        T::Err: fmt::Display,
    {
        let (value, source) = self
            .layer(key, file, check)?
            .unwrap_or((default, Source::Default));
        self.record(key, &value, source);
        Ok(value)
    }

    pub(super) fn optional<T>(
        &mut self,
        key: &'static str,
        file: Option<Spanned<T>>,
        check: impl Fn(&T) -> Result<(), String>,
    ) -> Result<Option<T>, ConfigError>
    where
        T: FromStr + Serialize,
        T::Err: fmt::Display,
    {
        let (value, source) = match self.layer(key, file, check)? {
            Some((value, source)) => (Some(value), source),
            None => (None, Source::Default),
        };
        self.record(key, &value, source);
        Ok(value)
    }

    /// The value of the highest layer that sets `key`, checked.
    fn layer<T>(
        &self,
        key: &'static str,
        file: Option<Spanned<T>>,
        check: impl Fn(&T) -> Result<(), String>,
    ) -> Result<Option<(T, Source)>, ConfigError>
    where
        T: FromStr,
        T::Err: fmt::Display,
    {
        for &variable in info(key).variables {
            let Some(value) = (self.env)(variable).filter(|v| !v.trim().is_empty()) else {
                continue;
            };
            let env_error = |message: String| ConfigError::Env {
                variable,
                value: value.clone(),
                message: format!("{key}: {message}"),
            };
            let parsed: T = value
                .trim()
                .parse()
                .map_err(|err: T::Err| env_error(err.to_string()))?;
            check(&parsed).map_err(env_error)?;
            return Ok(Some((parsed, Source::Env { variable })));
        }
        let Some(spanned) = file else {
            return Ok(None);
        };
        let at = spanned.span().start;
        let value = spanned.into_inner();
        check(&value).map_err(|message| {
            file_error(self.path, self.text, at, &format!("{key}: {message}"))
        })?;
        let source = Source::File {
            path: self.path.to_path_buf(),
            line: position(self.text, at).0,
        };
        Ok(Some((value, source)))
    }

    fn record(&mut self, key: &'static str, value: &impl Serialize, source: Source) {
        self.settings.push(Setting {
            key,
            variables: info(key).variables,
            value: serde_json::to_value(value).unwrap_or(serde_json::Value::Null),
            source,
        });
    }
}

fn info(key: &str) -> &'static KeyInfo {
    KEYS.iter()
        .find(|k| k.key == key)
        .expect("every key is listed in KEYS")
}

/// 1-based line and column of byte offset `at`.
fn position(text: &str, at: usize) -> (usize, usize) {
    let before = &text[..at.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

pub(super) fn file_error(path: &Path, text: &str, at: usize, message: &str) -> ConfigError {
    let (line, column) = position(text, at);
    ConfigError::File {
        path: path.to_path_buf(),
        line,
        column,
        message: message.to_string(),
    }
}

/// serde names an unknown field but not the table it is in; the nearest `[table]` header
/// above the error gives the full key.
pub(super) fn with_section(message: &str, text: &str, at: usize) -> String {
    let section = text[..at.min(text.len())]
        .lines()
        .rev()
        .map(str::trim)
        .find(|line| line.starts_with('[') && !line.starts_with("[["))
        .and_then(|line| line.strip_prefix('[')?.split(']').next())
        .map(str::trim);
    match section {
        Some(section) => format!("{} (in [{section}])", message.trim_end()),
        None => message.trim_end().to_string(),
    }
}
