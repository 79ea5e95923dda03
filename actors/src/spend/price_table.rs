//! What a model's tokens cost: a table of prices per million tokens, dated, shipped as
//! data (`prices.json`) and overridable by a file of the same shape (`llm.prices_file`).
//! A model is priced by the longest entry its name starts with, once a provider's prefix
//! (`models/`, `anthropic/`, `openai/`, `google/`) is set aside, so dated and suffixed
//! names (`claude-sonnet-4-5-20250929`, `gemini-2.5-pro-preview-06-05`) find their entry
//! and `gpt-5-mini` is not priced as `gpt-5`.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// The table plinth ships.
const BUILT_IN: &str = include_str!("prices.json");

/// Prices of one model, in the table's currency per million tokens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelPrice {
    /// The model's name, or the start of the names it prices.
    pub model: String,
    pub input: f64,
    pub output: f64,
    #[serde(default)]
    pub cache_read: f64,
    #[serde(default)]
    pub cache_write: f64,
}

/// Token counts of one or more calls, in the proxy's four counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tokens {
    pub input: u64,
    pub output: u64,
    pub cache_read: u64,
    pub cache_creation: u64,
}

impl ModelPrice {
    /// What `tokens` cost at these prices.
    pub fn cost(&self, tokens: &Tokens) -> f64 {
        let per_million = |count: u64, price: f64| count as f64 * price / 1_000_000.0;
        per_million(tokens.input, self.input)
            + per_million(tokens.output, self.output)
            + per_million(tokens.cache_read, self.cache_read)
            + per_million(tokens.cache_creation, self.cache_write)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceTable {
    /// When the prices were read off the providers' lists.
    pub as_of: String,
    pub currency: String,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
    pub models: Vec<ModelPrice>,
}

#[derive(Debug, thiserror::Error)]
pub enum PriceError {
    #[error("cannot read the price table {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "the price table {path} is not valid: {source} (write it like plinth's own: \
         {{\"as_of\": \"2025-11-01\", \"currency\": \"USD\", \"models\": [{{\"model\": \
         \"gpt-5\", \"input\": 1.25, \"output\": 10.0, \"cache_read\": 0.125}}]}})"
    )]
    Parse {
        path: String,
        source: serde_json::Error,
    },
    #[error(
        "the price table {path} is in {theirs}, plinth's in {ours}: prices of one table \
         must share a currency"
    )]
    Currency {
        path: String,
        theirs: String,
        ours: String,
    },
}

impl PriceTable {
    /// The table plinth ships.
    pub fn built_in() -> Self {
        serde_json::from_str(BUILT_IN).expect("prices.json is checked by the tests")
    }

    /// The built-in table with the entries of the file at `path` over it (a model in
    /// both takes the file's prices; the file's date becomes the table's).
    pub fn with_overrides(path: &Path) -> Result<Self, PriceError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| PriceError::Read {
            path: shown.clone(),
            source,
        })?;
        let theirs: PriceTable =
            serde_json::from_str(&text).map_err(|source| PriceError::Parse {
                path: shown.clone(),
                source,
            })?;
        let mut table = PriceTable::built_in();
        if theirs.currency != table.currency {
            return Err(PriceError::Currency {
                path: shown,
                theirs: theirs.currency,
                ours: table.currency,
            });
        }
        for price in theirs.models {
            table.models.retain(|p| p.model != price.model);
            table.models.push(price);
        }
        table.as_of = theirs.as_of;
        table.source = theirs.source.or(table.source);
        Ok(table)
    }

    /// The prices of `model`: the longest entry its name starts with.
    pub fn price(&self, model: &str) -> Option<&ModelPrice> {
        let name = bare_name(model);
        self.models
            .iter()
            .filter(|p| name.starts_with(p.model.as_str()))
            .max_by_key(|p| p.model.len())
    }
}

/// A model's name without a provider's prefix, in lower case.
fn bare_name(model: &str) -> String {
    let mut name = model.trim().to_ascii_lowercase();
    for prefix in ["models/", "anthropic/", "openai/", "google/", "gemini/"] {
        if let Some(rest) = name.strip_prefix(prefix) {
            name = rest.to_string();
        }
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_table_parses_and_is_dated() {
        let table = PriceTable::built_in();
        assert!(!table.models.is_empty());
        assert_eq!(table.currency, "USD");
        assert!(
            chrono::NaiveDate::parse_from_str(&table.as_of, "%Y-%m-%d").is_ok(),
            "{}",
            table.as_of
        );
        for price in &table.models {
            assert!(price.input > 0.0 && price.output > 0.0, "{price:?}");
        }
    }

    #[test]
    fn a_model_is_priced_by_the_longest_entry_its_name_starts_with() {
        let table = PriceTable::built_in();
        let model = |name: &str| table.price(name).map(|p| p.model.as_str());
        assert_eq!(
            model("claude-sonnet-4-5-20250929"),
            Some("claude-sonnet-4-5")
        );
        assert_eq!(model("claude-sonnet-4-20250514"), Some("claude-sonnet-4"));
        assert_eq!(model("gpt-5-mini-2025-08-07"), Some("gpt-5-mini"));
        assert_eq!(model("gpt-5"), Some("gpt-5"));
        assert_eq!(
            model("models/gemini-2.5-flash-lite"),
            Some("gemini-2.5-flash-lite")
        );
        assert_eq!(model("openai/GPT-4o"), Some("gpt-4o"));
        assert_eq!(model("llama-3-70b"), None);
    }

    #[test]
    fn cost_adds_each_count_at_its_price() {
        let price = ModelPrice {
            model: "m".into(),
            input: 3.0,
            output: 15.0,
            cache_read: 0.3,
            cache_write: 3.75,
        };
        let tokens = Tokens {
            input: 1_000_000,
            output: 100_000,
            cache_read: 2_000_000,
            cache_creation: 400_000,
        };
        let cost = price.cost(&tokens);
        assert!((cost - (3.0 + 1.5 + 0.6 + 1.5)).abs() < 1e-9, "{cost}");
    }

    #[test]
    fn a_file_of_prices_overrides_and_adds_entries_and_dates_the_table() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("prices.json");
        std::fs::write(
            &path,
            r#"{"as_of": "2026-12-01", "currency": "USD", "models": [
                {"model": "gpt-5", "input": 1.0, "output": 8.0},
                {"model": "my-local-model", "input": 0.01, "output": 0.02}]}"#,
        )
        .unwrap();
        let table = PriceTable::with_overrides(&path).unwrap();
        assert_eq!(table.as_of, "2026-12-01");
        assert_eq!(table.price("gpt-5").unwrap().input, 1.0);
        assert_eq!(table.price("my-local-model-q4").unwrap().output, 0.02);
        assert_eq!(
            table.price("gpt-5-mini").unwrap().input,
            0.25,
            "others stay"
        );

        std::fs::write(&path, r#"{"as_of": "x", "currency": "EUR", "models": []}"#).unwrap();
        let err = PriceTable::with_overrides(&path).unwrap_err().to_string();
        assert!(err.contains("EUR") && err.contains("USD"), "{err}");
        std::fs::write(&path, r#"{"models": [{"model": "a"}]}"#).unwrap();
        let err = PriceTable::with_overrides(&path).unwrap_err().to_string();
        assert!(err.contains("not valid"), "{err}");
    }
}
