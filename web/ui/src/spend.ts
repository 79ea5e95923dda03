// A task's spend in words: its cost as money, with its budget.
import type { Spend, Task } from "./types";

/** `$0.42`; `$0.0031` for a small amount; `$0` for nothing. */
export function money(amount: number): string {
  if (amount === 0) return "$0";
  if (amount < 0.01) return `$${amount.toFixed(4)}`;
  return `$${amount.toFixed(2)}`;
}

/** `$0.42`, or `$0.42 / $2.50` with a budget; `?` when a model had no price. */
export function costLabel(spend: Spend | null | undefined): string {
  if (!spend) return "";
  let label = money(spend.cost);
  if (spend.budget !== null) label += ` / ${money(spend.budget)}`;
  if (spend.unpriced_models.length) label += "?";
  return label;
}

export function budgetReached(spend: Spend | null | undefined): boolean {
  return !!spend && spend.budget !== null && spend.cost >= spend.budget;
}

/** What the tasks of a project (or any list) have cost together. */
export function totalCost(tasks: Task[]): number {
  return tasks.reduce((sum, t) => sum + (t.spend?.cost ?? 0), 0);
}
