-- What a campaign budget buys: for every budget of budget_scenarios.budgets (and next_best_action_budget) and
-- every uplift assumption (budget_scenarios.uplift_multipliers and 1, the uplifts the actions use;
-- 0.5 half as effective), the next best actions funded as customer_next_best_action funds them (highest expected
-- net value first, while the cumulative cost fits; never one that costs more than it returns), their cost and the
-- expected value they save, and the marginal return: the value the step from the next smaller budget adds per
-- unit of budget. Sums are exact (exact_sum), so a rebuild publishes identical figures.
{%- set settings = var('budget_scenarios') %}
{%- set budgets = (settings['budgets'] + [var('next_best_action_budget')]) | unique | sort %}
{%- set multipliers = (settings['uplift_multipliers'] + [1]) | unique | sort %}
with

actions as (
    select * from {{ ref('customer_next_best_action') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

assumptions as (
    {{ select_values('uplift_multiplier', multipliers, type_double()) }}
),

budgets as (
    {{ select_values('budget', budgets, type_double()) }}
),

valued as (
    select
        assumptions.uplift_multiplier,
        actions.customer_id,
        actions.action_cost,
        actions.expected_value_saved * assumptions.uplift_multiplier as expected_value_saved,
        actions.expected_value_saved * assumptions.uplift_multiplier - actions.action_cost as expected_net_value
    from actions
    cross join assumptions
),

-- Positive net values sort first, so the running cost over them counts only fundable actions.
ranked as (
    select
        *,
        sum(action_cost) over (
            partition by uplift_multiplier
            order by expected_net_value desc, customer_id asc
            rows between unbounded preceding and current row
        ) as cumulative_cost
    from valued
    where expected_net_value > 0
),

funded as (
    select
        assumptions.uplift_multiplier,
        budgets.budget,
        count(ranked.customer_id) as customers_funded,
        coalesce({{ exact_sum('ranked.action_cost') }}, 0) as budget_spent,
        coalesce({{ exact_sum('ranked.expected_value_saved') }}, 0) as expected_value_saved,
        coalesce({{ exact_sum('ranked.expected_net_value') }}, 0) as expected_net_value
    from assumptions
    cross join budgets
    left join ranked
        on
            assumptions.uplift_multiplier = ranked.uplift_multiplier
            and budgets.budget >= ranked.cumulative_cost
    group by assumptions.uplift_multiplier, budgets.budget
),

marginal as (
    select
        *,
        (expected_value_saved - lag(expected_value_saved) over (partition by uplift_multiplier order by budget))
        / nullif(budget - lag(budget) over (partition by uplift_multiplier order by budget), 0) as marginal_return
    from funded
),

final as (
    select
        cast(marginal.uplift_multiplier as {{ type_double() }}) as uplift_multiplier,
        cast(marginal.budget as {{ type_double() }}) as budget,
        cast(marginal.customers_funded as integer) as customers_funded,
        cast(marginal.budget_spent as {{ type_double() }}) as budget_spent,
        cast(marginal.expected_value_saved as {{ type_double() }}) as expected_value_saved,
        cast(marginal.expected_net_value as {{ type_double() }}) as expected_net_value,
        cast(marginal.expected_value_saved / nullif(marginal.budget_spent, 0) as {{ type_double() }})
            as return_on_spend,
        cast(marginal.marginal_return as {{ type_double() }}) as marginal_return,
        marginal.uplift_multiplier = 1 and marginal.budget = {{ var('next_best_action_budget') }} as is_current_plan,
        cast(as_of.as_of_date as date) as as_of_date
    from marginal
    cross join as_of
)

select * from final
