//! A task's spend in words: its cost (and budget) for a column, its tokens for `task show`,
//! and the cost of each project's tasks together.

use std::collections::BTreeMap;

use plinth_actors::spend::SpendView;
use plinth_actors::tasks::TaskView;

/// `$0.42`, `$0.0031` for a small amount, `-` with nothing used.
pub fn money(amount: f64) -> String {
    if amount == 0.0 {
        "$0".to_string()
    } else if amount < 0.01 {
        format!("${amount:.4}")
    } else {
        format!("${amount:.2}")
    }
}

/// For `task list`'s COST column: `$0.42`, `$0.42/$2.50` with a budget, `?` marked when a
/// model had no price.
pub fn cost_cell(spend: Option<&SpendView>) -> String {
    let Some(spend) = spend else {
        return "-".to_string();
    };
    let mut cell = money(spend.cost);
    if let Some(budget) = spend.budget {
        cell.push('/');
        cell.push_str(&money(budget));
    }
    if !spend.unpriced_models.is_empty() {
        cell.push('?');
    }
    cell
}

/// For `task show`: its rows.
pub fn rows(spend: &SpendView) -> Vec<Vec<String>> {
    let mut cost = money(spend.cost);
    if let Some(budget) = spend.budget {
        cost.push_str(&format!(" of a {} budget", money(budget)));
        if spend.budget_reached() {
            cost.push_str(" (reached)");
        }
    }
    let mut rows = vec![
        vec!["cost".into(), cost],
        vec![
            "model calls".into(),
            if spend.calls_in_flight > 0 {
                format!("{} ({} under way)", spend.calls, spend.calls_in_flight)
            } else {
                spend.calls.to_string()
            },
        ],
        vec![
            "tokens".into(),
            format!(
                "{} in, {} out, {} cache read, {} cache write",
                spend.input_tokens,
                spend.output_tokens,
                spend.cache_read_tokens,
                spend.cache_creation_tokens
            ),
        ],
    ];
    if !spend.unpriced_models.is_empty() {
        rows.push(vec![
            "unpriced".into(),
            format!(
                "{} (no price in the table of {}: their calls' cost is not counted; add them with llm.prices_file)",
                spend.unpriced_models.join(", "),
                spend.prices_as_of
            ),
        ]);
    }
    rows
}

/// One line per project: what its tasks listed have cost together.
pub fn project_totals(tasks: &[TaskView]) -> Vec<String> {
    let mut totals: BTreeMap<&str, (f64, usize)> = BTreeMap::new();
    for task in tasks {
        let entry = totals.entry(task.project.as_str()).or_default();
        entry.0 += task.spend.as_ref().map_or(0.0, |s| s.cost);
        entry.1 += 1;
    }
    totals
        .into_iter()
        .map(|(project, (cost, count))| {
            let tasks = if count == 1 { "task" } else { "tasks" };
            format!("project {project}: {} for {count} {tasks}", money(cost))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spend(cost: f64, budget: Option<f64>) -> SpendView {
        SpendView {
            calls: 3,
            calls_in_flight: 0,
            input_tokens: 10,
            output_tokens: 5,
            cache_read_tokens: 0,
            cache_creation_tokens: 0,
            cost,
            currency: "USD".into(),
            budget,
            unpriced_models: Vec::new(),
            prices_as_of: "2025-11-01".into(),
        }
    }

    #[test]
    fn a_cost_cell_shows_the_budget_and_marks_unpriced_models() {
        assert_eq!(cost_cell(None), "-");
        assert_eq!(cost_cell(Some(&spend(0.4213, None))), "$0.42");
        assert_eq!(cost_cell(Some(&spend(0.0031, Some(2.5)))), "$0.0031/$2.50");
        let mut unpriced = spend(1.0, None);
        unpriced.unpriced_models.push("llama".into());
        assert_eq!(cost_cell(Some(&unpriced)), "$1.00?");
    }

    #[test]
    fn show_says_when_the_budget_is_reached() {
        let rows = rows(&spend(2.6, Some(2.5)));
        assert_eq!(rows[0][1], "$2.60 of a $2.50 budget (reached)");
    }
}
