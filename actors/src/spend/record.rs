//! A task's spend as stored (`spend/<task>`): its finished model calls' tokens and cost,
//! and its budget. Written with the `task.llm.finished` event of the call that changed it,
//! in one transaction, so the totals and the log never disagree.

use plinth_store::Versioned;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::price_table::Tokens;

/// Store keys of spend records: `spend/<task>`.
pub fn key(task: &str) -> String {
    format!("spend/{task}")
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SpendV1 {
    /// Finished model calls.
    pub calls: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_read_tokens: u64,
    pub cache_creation_tokens: u64,
    /// What the finished calls cost, in the price table's currency.
    pub cost: f64,
    /// Models of calls the price table has no price for: their tokens count, their cost
    /// could not.
    pub unpriced_models: Vec<String>,
    /// The most the task may spend; `None`: no limit.
    pub budget: Option<f64>,
}

impl SpendV1 {
    pub fn tokens(&self) -> Tokens {
        Tokens {
            input: self.input_tokens,
            output: self.output_tokens,
            cache_read: self.cache_read_tokens,
            cache_creation: self.cache_creation_tokens,
        }
    }

    /// Adds one finished call.
    pub fn add_call(&mut self, model: &str, tokens: &Tokens, cost: Option<f64>) {
        self.calls += 1;
        self.input_tokens += tokens.input;
        self.output_tokens += tokens.output;
        self.cache_read_tokens += tokens.cache_read;
        self.cache_creation_tokens += tokens.cache_creation;
        match cost {
            Some(cost) => self.cost += cost,
            None => {
                if !model.is_empty() && !self.unpriced_models.iter().any(|m| m == model) {
                    self.unpriced_models.push(model.to_string());
                }
            }
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "version")]
pub enum SpendRecord {
    #[serde(rename = "1")]
    V1(SpendV1),
}

impl Versioned for SpendRecord {
    const KIND: &'static str = "spend";
    type Latest = SpendV1;

    fn into_latest(self) -> SpendV1 {
        match self {
            SpendRecord::V1(s) => s,
        }
    }

    fn from_latest(latest: SpendV1) -> Self {
        SpendRecord::V1(latest)
    }

    fn version(&self) -> u32 {
        match self {
            SpendRecord::V1(_) => 1,
        }
    }

    fn schemas() -> Vec<(u32, schemars::Schema)> {
        vec![(1, schemars::schema_for!(SpendV1))]
    }
}
