//! Every task's spend, priced: the finished calls' totals (read from the store the first
//! time a task is touched, then kept here) and the calls under way, whose latest usage
//! counts too, so a task's cost moves while its agent works and its budget is checked
//! against what it has really used.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use plinth_store::{Store, StoreError, Versioned};
use serde::{Deserialize, Serialize};

use super::price_table::{PriceTable, Tokens};
use super::record::{SpendRecord, SpendV1, key};

/// A task's spend as people see it: in the task's views, its `task.spend` events, the CLI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpendView {
    /// Finished model calls.
    pub calls: u64,
    pub calls_in_flight: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_read_tokens: u64,
    pub cache_creation_tokens: u64,
    /// The finished calls' cost and what the calls under way have used so far.
    pub cost: f64,
    pub currency: String,
    /// The most the task may spend; `None`: no limit.
    pub budget: Option<f64>,
    /// Models without a price in the table: their calls' cost is not in `cost`.
    pub unpriced_models: Vec<String>,
    /// The date of the price table.
    pub prices_as_of: String,
}

impl SpendView {
    pub fn budget_reached(&self) -> bool {
        self.budget.is_some_and(|budget| self.cost >= budget)
    }
}

/// A model call refused because its task has spent its budget.
#[derive(Debug, Clone, PartialEq)]
pub struct BudgetReached {
    pub budget: f64,
    pub spent: f64,
}

impl std::fmt::Display for BudgetReached {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "budget of ${:.2} reached (${:.2} spent)",
            self.budget, self.spent
        )
    }
}

#[derive(Default)]
struct Entry {
    record: SpendV1,
    /// Calls under way: their model and latest usage, by call id.
    live: HashMap<String, (String, Tokens)>,
}

/// Shared by the model proxy (which reports calls and asks before each one) and the task
/// service (budgets, views). Cheap to clone.
#[derive(Clone)]
pub struct SpendBook {
    store: Store,
    prices: Arc<PriceTable>,
    tasks: Arc<Mutex<HashMap<String, Entry>>>,
}

impl SpendBook {
    pub fn new(store: Store, prices: PriceTable) -> Self {
        SpendBook {
            store,
            prices: Arc::new(prices),
            tasks: Arc::default(),
        }
    }

    pub fn prices(&self) -> &PriceTable {
        &self.prices
    }

    /// Runs `f` on `task`'s entry, read from the store the first time.
    fn with_entry<R>(&self, task: &str, f: impl FnOnce(&mut Entry, &PriceTable) -> R) -> R {
        let mut tasks = self.tasks.lock().unwrap_or_else(|e| e.into_inner());
        let entry = tasks.entry(task.to_string()).or_insert_with(|| {
            let record = match self.store.get_state::<SpendRecord>(&key(task)) {
                Ok(record) => record.unwrap_or_default(),
                Err(err) => {
                    tracing::warn!(task, %err, "cannot read a task's spend; counting from zero");
                    SpendV1::default()
                }
            };
            Entry {
                record,
                live: HashMap::new(),
            }
        });
        f(entry, &self.prices)
    }

    fn view_of(entry: &Entry, prices: &PriceTable) -> SpendView {
        let mut tokens = entry.record.tokens();
        let mut cost = entry.record.cost;
        let mut unpriced = entry.record.unpriced_models.clone();
        for (model, live) in entry.live.values() {
            tokens.input += live.input;
            tokens.output += live.output;
            tokens.cache_read += live.cache_read;
            tokens.cache_creation += live.cache_creation;
            match prices.price(model) {
                Some(price) => cost += price.cost(live),
                None if !unpriced.contains(model) && !model.is_empty() => {
                    unpriced.push(model.clone())
                }
                None => {}
            }
        }
        SpendView {
            calls: entry.record.calls,
            calls_in_flight: entry.live.len() as u64,
            input_tokens: tokens.input,
            output_tokens: tokens.output,
            cache_read_tokens: tokens.cache_read,
            cache_creation_tokens: tokens.cache_creation,
            cost,
            currency: prices.currency.clone(),
            budget: entry.record.budget,
            unpriced_models: unpriced,
            prices_as_of: prices.as_of.clone(),
        }
    }

    /// `task`'s spend now.
    pub fn view(&self, task: &str) -> SpendView {
        self.with_entry(task, |entry, prices| Self::view_of(entry, prices))
    }

    /// Whether `task` may make another model call: not once what it has used reaches its
    /// budget.
    pub fn admit(&self, task: &str) -> Result<(), BudgetReached> {
        let view = self.view(task);
        match view.budget {
            Some(budget) if view.cost >= budget => Err(BudgetReached {
                budget,
                spent: view.cost,
            }),
            _ => Ok(()),
        }
    }

    /// A call under way has used `tokens` so far (cumulative for the call).
    pub fn call_usage(&self, task: &str, call: &str, model: &str, tokens: Tokens) -> SpendView {
        self.with_entry(task, |entry, prices| {
            entry
                .live
                .insert(call.to_string(), (model.to_string(), tokens));
            Self::view_of(entry, prices)
        })
    }

    /// A call is over with its final `tokens`: it moves from the calls under way to the
    /// totals. Answers the record to store (with the call's `task.llm.finished`, in one
    /// transaction) and the view after it.
    pub fn call_finished(
        &self,
        task: &str,
        call: &str,
        model: &str,
        tokens: Tokens,
    ) -> (SpendRecord, SpendView) {
        self.with_entry(task, |entry, prices| {
            entry.live.remove(call);
            let cost = prices.price(model).map(|price| price.cost(&tokens));
            entry.record.add_call(model, &tokens, cost);
            (
                SpendRecord::from_latest(entry.record.clone()),
                Self::view_of(entry, prices),
            )
        })
    }

    /// Sets (or with `None` lifts) `task`'s budget, stored at once.
    pub async fn set_budget(
        &self,
        task: &str,
        budget: Option<f64>,
    ) -> Result<SpendView, StoreError> {
        let record = self.hold_budget(task, budget);
        self.store.put_state(&key(task), &record).await?;
        Ok(self.view(task))
    }

    /// Sets `task`'s budget in memory, checked from now on; answers the record for the
    /// caller to store (with what else it stores).
    pub fn hold_budget(&self, task: &str, budget: Option<f64>) -> SpendRecord {
        self.with_entry(task, |entry, _| {
            entry.record.budget = budget;
            SpendRecord::from_latest(entry.record.clone())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn book() -> (tempfile::TempDir, SpendBook) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db.sqlite")).unwrap();
        (dir, SpendBook::new(store, PriceTable::built_in()))
    }

    fn tokens(input: u64, output: u64) -> Tokens {
        Tokens {
            input,
            output,
            ..Tokens::default()
        }
    }

    #[tokio::test]
    async fn a_budget_admits_calls_until_what_was_used_reaches_it() {
        let (_dir, book) = book();
        book.set_budget("t", Some(0.10)).await.unwrap();
        assert!(book.admit("t").is_ok());
        // gpt-5: $1.25 in, $10 out per million. 8,000 out = $0.08.
        book.call_finished("t", "c1", "gpt-5", tokens(0, 8_000));
        assert!(book.admit("t").is_ok());
        // A call under way counts with what it has used so far.
        book.call_usage("t", "c2", "gpt-5", tokens(0, 2_000));
        let refused = book.admit("t").unwrap_err();
        assert!((refused.spent - 0.10).abs() < 1e-9, "{refused:?}");
        assert_eq!(refused.to_string(), "budget of $0.10 reached ($0.10 spent)");
        book.set_budget("t", Some(5.0)).await.unwrap();
        assert!(book.admit("t").is_ok());
    }

    #[tokio::test]
    async fn totals_and_budget_outlive_the_book_through_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db.sqlite")).unwrap();
        let book = SpendBook::new(store.clone(), PriceTable::built_in());
        book.set_budget("t", Some(2.5)).await.unwrap();
        let (record, view) =
            book.call_finished("t", "c1", "claude-sonnet-4-5-20250929", tokens(1000, 500));
        store.put_state(&key("t"), &record).await.unwrap();
        assert_eq!(view.calls, 1);
        assert!((view.cost - (0.003 + 0.0075)).abs() < 1e-9, "{}", view.cost);

        let again = SpendBook::new(store, PriceTable::built_in()).view("t");
        assert_eq!(again.calls, 1);
        assert_eq!(again.budget, Some(2.5));
        assert_eq!(again.input_tokens, 1000);
        assert!((again.cost - view.cost).abs() < 1e-12);
    }

    #[test]
    fn a_model_without_a_price_counts_its_tokens_and_is_named() {
        let (_dir, book) = book();
        book.call_usage("t", "c1", "llama-local", tokens(10, 10));
        let view = book.view("t");
        assert_eq!(view.unpriced_models, ["llama-local"]);
        assert_eq!(view.calls_in_flight, 1);
        let (_, view) = book.call_finished("t", "c1", "llama-local", tokens(10, 20));
        assert_eq!((view.calls, view.output_tokens, view.cost), (1, 20, 0.0));
        assert_eq!(view.unpriced_models, ["llama-local"]);
    }
}
