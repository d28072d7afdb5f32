-- Point-in-time churn features per (customer, cutoff): only activity on or before the cutoff enters a
-- feature. The population at a cutoff is every buyer active (an order or a web visit) in the
-- churn_horizon_days before it. The label, churned, is 1 when the customer has no order and no web
-- activity in the churn_horizon_days after the cutoff, and null while that horizon is incomplete.
-- Each feature is defined here; which ones the mart publishes (and the models read) is the
-- churn_numeric_features and churn_categorical_features vars, in the types of the contract.
-- Incremental (macros/incremental_features.sql): a run recomputes every row of the refreshed cutoffs and of the
-- customers whose activity changed, and updates changed CRM attributes in place.
-- The incremental run reads the validated rows (macros/incremental_features.sql):
-- depends_on: {{ ref('int_orders_validated') }}
-- depends_on: {{ ref('int_web_events_validated') }}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook=[
        "{% if is_incremental() %}{% set state = feature_mart_state() %}{{ delete_refreshed_rows(
            ref('int_churn_cutoffs'),
            refreshed_cutoffs(state, ref('int_churn_cutoffs'), [var('churn_horizon_days')]),
            churn_refreshed_customers(state, var('churn_horizon_days')),
        ) }}{% endif %}",
        "{% if is_incremental() %}{{ update_crm_attributes(var('churn_categorical_features')) }}{% endif %}",
    ],
) }}
{%- set state = feature_mart_state() %}
{%- set horizon = var('churn_horizon_days') %}
{%- set recent = var('churn_recent_days') %}
{%- set long_window = var('churn_long_window_days') %}
{#- The activity features' longest window: the horizon, or the 30 days before the last 30. #}
{%- set activity_window = [horizon, 2 * recent] | max %}
{%- set windowed = 'windowed_activity' if is_incremental() else 'daily_activity' %}
with

daily_activity as (
    select * from {{ ref('int_customer_daily_activity') }}
),

cutoffs as (
    select * from {{ ref('int_churn_cutoffs') }}
),

customers as (
    select * from {{ ref('stg_crm__customers') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),
{%- if is_incremental() %}

refreshed_cutoffs as (
    {{ refreshed_cutoffs(state, ref('int_churn_cutoffs'), [horizon]) }}
),

refreshed_customers as (
    {{ churn_refreshed_customers(state, horizon) }}
),

-- The activity the windows below read: the refreshed customers', and the days in the refreshed cutoffs' windows.
windowed_activity as (
    select * from daily_activity
    where
        customer_id in (select refreshed_customers.customer_id from refreshed_customers)
        or activity_date > (
            select {{ dbt.dateadd('day', -activity_window, 'min(refreshed_cutoffs.cutoff_date)') }}
            from refreshed_cutoffs
        )
),
{%- endif %}

-- The population's activity features: each cutoff joined only to the activity days of the windows they read
-- (a band join), so a customer gone quiet long ago costs nothing at later cutoffs. The population at a cutoff
-- is whoever this finds active in the horizon before it and the orders below find a buyer.
recent_activity as (
    select
        cutoffs.cutoff_date,
        daily_activity.*,
        {{ dbt.datediff('daily_activity.activity_date', 'cutoffs.cutoff_date', 'day') }} as days_before
    from cutoffs
    inner join {{ windowed }} as daily_activity
        on
            cutoffs.cutoff_date >= daily_activity.activity_date
            and {{ dbt.dateadd('day', -activity_window, 'cutoffs.cutoff_date') }} < daily_activity.activity_date
    {%- if is_incremental() %}
        where
            cutoffs.cutoff_date in (select refreshed_cutoffs.cutoff_date from refreshed_cutoffs)
            or daily_activity.customer_id in (select refreshed_customers.customer_id from refreshed_customers)
    {%- endif %}
),

recent as (
    select
        cutoff_date,
        customer_id,
        min(days_before) as days_since_last_activity,
        sum(case when days_before < {{ recent }} then sessions else 0 end) as sessions_last_30d,
        sum(case when days_before >= {{ recent }} and days_before < {{ 2 * recent }} then sessions else 0 end)
            as sessions_previous_30d,
        {{ exact_sum('case when days_before < ' ~ recent ~ ' then usage_minutes else 0 end') }}
            as usage_minutes_last_30d,
        {{ exact_sum(
            'case when days_before >= ' ~ recent ~ ' and days_before < ' ~ 2 * recent ~ ' then usage_minutes else 0 end'
        ) }} as usage_minutes_previous_30d,
        sum(case when days_before < {{ recent }} then features_clicked else 0 end) as features_clicked_last_30d,
        sum(case when days_before < {{ horizon }} then 1 else 0 end) as active_days_last_horizon
    from recent_activity
    group by cutoff_date, customer_id
    having min(days_before) < {{ horizon }}
),

-- The order features of the active customers: every order day on or before the cutoff (order days are few
-- beside visit days).
order_history as (
    select
        recent.cutoff_date,
        recent.customer_id,
        daily_activity.orders,
        daily_activity.revenue,
        {{ dbt.datediff('daily_activity.activity_date', 'recent.cutoff_date', 'day') }} as days_before
    from recent
    inner join daily_activity
        on
            recent.customer_id = daily_activity.customer_id
            and recent.cutoff_date >= daily_activity.activity_date
    where daily_activity.orders > 0
),

ordered as (
    select
        cutoff_date,
        customer_id,
        min(days_before) as days_since_last_order,
        max(days_before) as days_since_first_order,
        sum(orders) as lifetime_orders,
        sum(revenue) as lifetime_revenue,
        sum(case when days_before < {{ horizon }} then orders else 0 end) as orders_last_horizon,
        sum(case when days_before < {{ long_window }} then orders else 0 end) as orders_last_365d,
        sum(case when days_before < {{ horizon }} then revenue else 0 end) as revenue_last_horizon,
        sum(case when days_before < {{ long_window }} then revenue else 0 end) as revenue_last_365d
    from order_history
    group by cutoff_date, customer_id
),

population as (
    select
        recent.*,
        ordered.days_since_last_order,
        ordered.days_since_first_order,
        ordered.lifetime_orders,
        ordered.lifetime_revenue,
        ordered.orders_last_horizon,
        ordered.orders_last_365d,
        ordered.revenue_last_horizon,
        ordered.revenue_last_365d
    from recent
    inner join ordered on recent.cutoff_date = ordered.cutoff_date and recent.customer_id = ordered.customer_id
),

-- The features that need the CRM record: tenure, and the attributes ('unknown' when missing).
with_crm as (
    select
        population.*,
        {%- for attribute in var('churn_categorical_features') %}
            coalesce(customers.{{ attribute }}, 'unknown') as {{ attribute }},
        {%- endfor %}
        {{ dbt.datediff('customers.signup_date', 'population.cutoff_date', 'day') }} as tenure_days
    from population
    inner join customers on population.customer_id = customers.customer_id
),

future_activity as (
    select
        cutoffs.cutoff_date,
        daily_activity.customer_id
    from cutoffs
    inner join {{ windowed }} as daily_activity
        on
            cutoffs.cutoff_date < daily_activity.activity_date
            and {{ dbt.dateadd('day', horizon, 'cutoffs.cutoff_date') }} >= daily_activity.activity_date
    {%- if is_incremental() %}
        where
            cutoffs.cutoff_date in (select refreshed_cutoffs.cutoff_date from refreshed_cutoffs)
            or daily_activity.customer_id in (select refreshed_customers.customer_id from refreshed_customers)
    {%- endif %}
    group by cutoffs.cutoff_date, daily_activity.customer_id
),

-- A customer churns on an activity day followed by a silence of churn_horizon_days: the next activity
-- is that much later, or there is none and the as-of date is that far away.
activity_gaps as (
    select
        customer_id,
        activity_date,
        lead(activity_date) over (partition by customer_id order by activity_date) as next_activity_date
    from daily_activity
    {%- if is_incremental() %}
        where customer_id in (select recent.customer_id from recent)
    {%- endif %}
),

churn_days as (
    select
        activity_gaps.customer_id,
        activity_gaps.activity_date as churn_date
    from activity_gaps
    cross join as_of
    where
        coalesce(activity_gaps.next_activity_date, as_of.as_of_date)
        >= {{ dbt.dateadd('day', horizon, 'activity_gaps.activity_date') }}
),

last_activity as (
    select
        customer_id,
        max(activity_date) as last_activity_date
    from daily_activity
    {%- if is_incremental() %}
        where customer_id in (select recent.customer_id from recent)
    {%- endif %}
    group by customer_id
),

-- Survival target per cutoff: days from the cutoff to the first churn day on or after the customer's
-- last activity before it (observed), else to their last activity so far (censored).
time_to_churn as (
    select
        population.cutoff_date,
        population.customer_id,
        min(churn_days.churn_date) as churn_date
    from population
    left join churn_days
        on
            population.customer_id = churn_days.customer_id
            and {{ dbt.dateadd('day', '-population.days_since_last_activity', 'population.cutoff_date') }}
            <= churn_days.churn_date
    group by population.cutoff_date, population.customer_id
),

labelled as (
    select
        with_crm.customer_id,
        with_crm.cutoff_date,
        {%- for feature in var('churn_numeric_features') + var('churn_categorical_features') %}
            with_crm.{{ feature }},
        {%- endfor %}
        case
            when {{ dbt.dateadd('day', horizon, 'with_crm.cutoff_date') }} > as_of.as_of_date then null
            when future_activity.customer_id is null then 1
            else 0
        end as churned,
        greatest(
            {{ dbt.datediff('with_crm.cutoff_date', 'coalesce(time_to_churn.churn_date, last_activity.last_activity_date)', 'day') }},
            0
        ) as days_to_churn,
        case when time_to_churn.churn_date is not null then 1 else 0 end as churn_observed,
        {{ dbt.current_timestamp() }} as validated_at
    from with_crm
    cross join as_of
    left join future_activity
        on
            with_crm.cutoff_date = future_activity.cutoff_date
            and with_crm.customer_id = future_activity.customer_id
    inner join time_to_churn
        on
            with_crm.cutoff_date = time_to_churn.cutoff_date
            and with_crm.customer_id = time_to_churn.customer_id
    inner join last_activity on with_crm.customer_id = last_activity.customer_id
),

final as (
    select {{ cast_to_contract('labelled') }}
    from labelled
)

select * from final
