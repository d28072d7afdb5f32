-- Funded actions fit the budget, return more than they cost, and no unfunded action with a positive
-- net value beats a funded one (the budget goes to the highest expected net value first).
with

actions as (
    select * from {{ ref('customer_next_best_action') }}
),

funded as (
    select
        sum(action_cost) as spent,
        min(expected_net_value) as lowest_funded_net_value
    from actions
    where is_funded
),

best_unfunded as (
    select max(expected_net_value) as highest_unfunded_net_value
    from actions
    where not is_funded and expected_net_value > 0
)

select
    funded.spent,
    funded.lowest_funded_net_value,
    best_unfunded.highest_unfunded_net_value
from funded
cross join best_unfunded
where
    funded.spent > {{ var('next_best_action_budget') }}
    or funded.lowest_funded_net_value <= 0
    or best_unfunded.highest_unfunded_net_value > funded.lowest_funded_net_value
