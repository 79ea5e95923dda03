import { describe, expect, it } from "vitest";
import { budgetReached, costLabel, money, totalCost } from "./spend";
import type { Spend, Task } from "./types";

function spend(cost: number, budget: number | null = null, unpriced: string[] = []): Spend {
  return {
    calls: 1,
    calls_in_flight: 0,
    input_tokens: 1,
    output_tokens: 1,
    cache_read_tokens: 0,
    cache_creation_tokens: 0,
    cost,
    currency: "USD",
    budget,
    unpriced_models: unpriced,
    prices_as_of: "2025-11-01",
  };
}

describe("spend", () => {
  it("shows money with cents, and small amounts with more places", () => {
    expect(money(0)).toBe("$0");
    expect(money(0.0031)).toBe("$0.0031");
    expect(money(2.5)).toBe("$2.50");
  });

  it("labels a cost with its budget and marks unpriced models", () => {
    expect(costLabel(undefined)).toBe("");
    expect(costLabel(spend(0.42))).toBe("$0.42");
    expect(costLabel(spend(0.42, 2.5))).toBe("$0.42 / $2.50");
    expect(costLabel(spend(1, null, ["llama"]))).toBe("$1.00?");
  });

  it("knows when the budget is reached and sums a project", () => {
    expect(budgetReached(spend(2.5, 2.5))).toBe(true);
    expect(budgetReached(spend(2.4, 2.5))).toBe(false);
    expect(budgetReached(spend(9))).toBe(false);
    const tasks = [{ spend: spend(1.25) }, { spend: null }, { spend: spend(0.5) }] as unknown as Task[];
    expect(totalCost(tasks)).toBe(1.75);
  });
});
