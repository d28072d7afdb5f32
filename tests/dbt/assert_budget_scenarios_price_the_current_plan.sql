-- The scenario of the current plan (the seed's uplifts, next_best_action_budget) funds exactly what
-- customer_next_best_action funds: the same customers, cost and expected value.
with

actions as (
    select * from {{ ref('customer_next_best_action') }}
),

scenarios as (
    select * from {{ ref('budget_scenarios') }}
),

funded as (
    select
        count(*) as customers_funded,
        coalesce({{ exact_sum('action_cost') }}, 0) as budget_spent,
        coalesce({{ exact_sum('expected_value_saved') }}, 0) as expected_value_saved
    from actions
    where is_funded
),

plan as (
    select * from scenarios
    where is_current_plan
)

select
    plan.customers_funded as scenario_customers,
    funded.customers_funded,
    plan.expected_value_saved as scenario_value,
    funded.expected_value_saved
from funded
left join plan on true
where
    plan.customers_funded is null
    or plan.customers_funded != funded.customers_funded
    or plan.budget_spent != funded.budget_spent
    or plan.expected_value_saved != funded.expected_value_saved
