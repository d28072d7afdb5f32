-- Point-in-time value features per (customer, cutoff), for the value forecast: only activity on or before the
-- cutoff enters a feature, and every customer signed up by the cutoff has a row. The labels, spend_next_90d and
-- spend_next_180d, are the revenue in the value_forecast short_days and long_days after the cutoff, and
-- usage_minutes_next_30d the web usage in the engagement_window_days after it (each null while its window is
-- incomplete). The cutoffs are int_value_forecast_cutoffs'. Beside the features: the value score,
-- RFM score and engagement score as they stood at the cutoff (the rankings the forecast is compared with).
-- Incremental (macros/incremental_features.sql): a run recomputes every row of the refreshed cutoffs, from the
-- earliest changed activity less the longest label window on, and updates changed CRM attributes in place.
-- The incremental run reads the validated rows (macros/incremental_features.sql):
-- depends_on: {{ ref('int_orders_validated') }}
-- depends_on: {{ ref('int_web_events_validated') }}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook=[
        "{% if is_incremental() %}{{ delete_refreshed_rows(
            ref('int_value_forecast_cutoffs'), value_refreshed_cutoffs(feature_mart_state())
        ) }}{% endif %}",
        "{% if is_incremental() %}{{ update_crm_attributes(var('value_forecast_categorical_features')) }}{% endif %}",
    ],
) }}
{%- set settings = var('value_forecast') %}
{%- set short_days, long_days = settings['short_days'], settings['long_days'] %}
{%- set recent = var('engagement_trend_days') %}
{%- set window_days = var('engagement_window_days') %}
{%- set buyers = 'cutoff_date, lifetime_orders > 0' %}
{%- set long_window = var('churn_long_window_days') %}
{%- set recent_window = [2 * short_days, 3 * recent] | max %}
with

daily_activity as (
    select * from {{ ref('int_customer_daily_activity') }}
),

sessions as (
    select * from {{ ref('fct_web_sessions') }}
),

customers as (
    select * from {{ ref('stg_crm__customers') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

cutoffs as (
    select * from {{ ref('int_value_forecast_cutoffs') }}
    {%- if is_incremental() %}
        where cutoff_date in ({{ value_refreshed_cutoffs(feature_mart_state()) }})
    {%- endif %}
),

population as (
    select
        cutoffs.cutoff_date,
        customers.customer_id,
        {%- for attribute in var('value_forecast_categorical_features') %}
            coalesce(customers.{{ attribute }}, 'unknown') as {{ attribute }},
        {%- endfor %}
        {{ dbt.datediff('customers.signup_date', 'cutoffs.cutoff_date', 'day') }} as tenure_days
    from cutoffs
    inner join customers on cutoffs.cutoff_date >= customers.signup_date
),

-- Each activity day counts once, toward the first cutoff on or after it: the lifetime measures at a cutoff are
-- running sums and extremes of these increments, not every earlier day joined again to every cutoff.
cutoff_spans as (
    select
        cutoff_date,
        lag(cutoff_date) over (order by cutoff_date) as previous_cutoff_date
    from cutoffs
),

increments as (
    select
        cutoff_spans.cutoff_date,
        daily_activity.customer_id,
        sum(daily_activity.orders) as orders,
        sum(case when daily_activity.orders > 0 then 1 else 0 end) as purchase_days,
        sum(daily_activity.revenue) as revenue,
        sum(daily_activity.sessions) as sessions,
        sum(daily_activity.events) as events,
        min(case when daily_activity.orders > 0 then daily_activity.activity_date end) as first_order_date,
        max(case when daily_activity.orders > 0 then daily_activity.activity_date end) as last_order_date,
        max(case when daily_activity.sessions > 0 then daily_activity.activity_date end) as last_visit_date
    from cutoff_spans
    inner join daily_activity
        on
            cutoff_spans.cutoff_date >= daily_activity.activity_date
            and coalesce(cutoff_spans.previous_cutoff_date, cast('0001-01-01' as date)) < daily_activity.activity_date
    group by cutoff_spans.cutoff_date, daily_activity.customer_id
),

-- Every population row and every increment (activity before a customer's signup counts from a later cutoff on).
ledger as (
    select
        coalesce(population.cutoff_date, increments.cutoff_date) as cutoff_date,
        coalesce(population.customer_id, increments.customer_id) as customer_id,
        increments.orders,
        increments.purchase_days,
        increments.revenue,
        increments.sessions,
        increments.events,
        increments.first_order_date,
        increments.last_order_date,
        increments.last_visit_date
    from population
    full outer join increments
        on population.cutoff_date = increments.cutoff_date and population.customer_id = increments.customer_id
),

lifetime as (
    select
        cutoff_date,
        customer_id,
        min(first_order_date) over to_date as first_order_date,
        max(last_order_date) over to_date as last_order_date,
        max(last_visit_date) over to_date as last_visit_date,
        sum(orders) over to_date as lifetime_orders,
        sum(purchase_days) over to_date as purchase_days,
        sum(revenue) over to_date as lifetime_revenue,
        sum(sessions) over to_date as lifetime_sessions,
        sum(events) over to_date as lifetime_events
    from ledger
    window to_date as (partition by customer_id order by cutoff_date rows between unbounded preceding and current row)
),

-- The windowed measures read only the days within their windows before each cutoff: the year's two sums apart,
-- so that the many sums of the last months group the fewer days.
year_sums as (
    select
        cutoffs.cutoff_date,
        daily_activity.customer_id,
        sum(daily_activity.revenue) as revenue_last_365d,
        sum(daily_activity.sessions) as sessions_last_365d
    from cutoffs
    inner join daily_activity
        on
            cutoffs.cutoff_date >= daily_activity.activity_date
            and {{ dbt.dateadd('day', -long_window, 'cutoffs.cutoff_date') }} < daily_activity.activity_date
    group by cutoffs.cutoff_date, daily_activity.customer_id
),

recent_history as (
    select
        cutoffs.cutoff_date,
        daily_activity.*,
        {{ dbt.datediff('daily_activity.activity_date', 'cutoffs.cutoff_date', 'day') }} as days_before
    from cutoffs
    inner join daily_activity
        on
            cutoffs.cutoff_date >= daily_activity.activity_date
            and {{ dbt.dateadd('day', -recent_window, 'cutoffs.cutoff_date') }} < daily_activity.activity_date
),

recent_sums as (
    select
        cutoff_date,
        customer_id,
        sum(case when days_before < {{ short_days }} then orders else 0 end) as orders_last_90d,
        sum(case when days_before < {{ short_days }} then revenue else 0 end) as revenue_last_90d,
        sum(case when days_before >= {{ short_days }} and days_before < {{ 2 * short_days }} then revenue else 0 end)
            as revenue_previous_90d,
        {%- for first, last in [(0, recent), (recent, 2 * recent), (2 * recent, 3 * recent)] %}
            {%- set suffix = ['last_30d', 'days_31_60', 'days_61_90'][loop.index0] %}
            sum(case when days_before >= {{ first }} and days_before < {{ last }} then sessions else 0 end)
                as sessions_{{ suffix }},
            {{ exact_sum(
                'case when days_before >= ' ~ first ~ ' and days_before < ' ~ last ~ ' then usage_minutes else 0 end'
            ) }} as usage_minutes_{{ suffix }},
        {%- endfor %}
        sum(case when days_before < {{ recent }} then features_clicked else 0 end) as features_clicked_last_30d
    from recent_history
    group by cutoff_date, customer_id
),

future as (
    select
        cutoffs.cutoff_date,
        daily_activity.customer_id,
        sum(
            case
                when daily_activity.activity_date <= {{ dbt.dateadd('day', short_days, 'cutoffs.cutoff_date') }}
                    then daily_activity.revenue
                else 0
            end
        ) as spend_next_short,
        sum(daily_activity.revenue) as spend_next_long,
        {{ exact_sum(
            'case when daily_activity.activity_date <= ' ~ dbt.dateadd('day', window_days, 'cutoffs.cutoff_date')
            ~ ' then daily_activity.usage_minutes else 0 end'
        ) }} as usage_minutes_next_window
    from cutoffs
    inner join daily_activity
        on
            cutoffs.cutoff_date < daily_activity.activity_date
            and {{ dbt.dateadd('day', long_days, 'cutoffs.cutoff_date') }} >= daily_activity.activity_date
    group by cutoffs.cutoff_date, daily_activity.customer_id
),

-- The engagement score's measures over the engagement window before each cutoff, from the sessions.
windowed_sessions as (
    select
        cutoffs.cutoff_date,
        sessions.*
    from cutoffs
    inner join sessions
        on
            cutoffs.cutoff_date >= sessions.session_date
            and {{ dbt.dateadd('day', -window_days, 'cutoffs.cutoff_date') }} < sessions.session_date
),

web_activity as (
    select
        cutoff_date,
        customer_id,
        {{ engagement_window_sums('true') }}
    from windowed_sessions
    group by cutoff_date, customer_id
),

web_data as (
    select count(*) > 0 as has_web_activity
    from sessions
),

measures as (
    select
        population.*,
        web_data.has_web_activity,
        {{ dbt.datediff('lifetime.last_order_date', 'population.cutoff_date', 'day') }} as days_since_last_order,
        {{ dbt.datediff('lifetime.first_order_date', 'population.cutoff_date', 'day') }} as days_since_first_order,
        {{ dbt.datediff('lifetime.last_visit_date', 'population.cutoff_date', 'day') }} as days_since_last_visit,
        coalesce(lifetime.lifetime_orders, 0) as lifetime_orders,
        coalesce(lifetime.purchase_days, 0) as purchase_days,
        coalesce(lifetime.lifetime_revenue, 0) as lifetime_revenue,
        coalesce(recent_sums.orders_last_90d, 0) as orders_last_90d,
        coalesce(recent_sums.revenue_last_90d, 0) as revenue_last_90d,
        coalesce(recent_sums.revenue_previous_90d, 0) as revenue_previous_90d,
        coalesce(year_sums.revenue_last_365d, 0) as revenue_last_365d,
        {%- for suffix in ['last_30d', 'days_31_60', 'days_61_90'] %}
            coalesce(recent_sums.sessions_{{ suffix }}, 0) as sessions_{{ suffix }},
            coalesce(recent_sums.usage_minutes_{{ suffix }}, 0) as usage_minutes_{{ suffix }},
        {%- endfor %}
        coalesce(recent_sums.features_clicked_last_30d, 0) as features_clicked_last_30d,
        coalesce(lifetime.lifetime_sessions, 0) as lifetime_sessions,
        coalesce(year_sums.sessions_last_365d, 0) as sessions_last_365d,
        cast(lifetime.lifetime_events as {{ type_double() }}) / nullif(lifetime.lifetime_sessions, 0)
            as events_per_session,
        cast(lifetime.lifetime_revenue as {{ type_double() }}) / nullif(lifetime.lifetime_orders, 0) as avg_order_value,
        {{ monthly_revenue(
            'coalesce(lifetime.lifetime_revenue, 0)',
            dbt.datediff('lifetime.first_order_date', 'population.cutoff_date', 'day')
        ) }} as monthly_revenue,
        coalesce(web_activity.usage_minutes, 0) as window_usage_minutes,
        coalesce(web_activity.pages_viewed, 0) as window_pages_viewed,
        coalesce(web_activity.features_clicked, 0) as window_features_clicked,
        coalesce(web_activity.session_minutes / nullif(web_activity.sessions, 0), 0) as window_avg_session_minutes,
        case
            when {{ dbt.dateadd('day', short_days, 'population.cutoff_date') }} <= as_of.as_of_date
                then coalesce(future.spend_next_short, 0)
        end as spend_next_90d,
        case
            when {{ dbt.dateadd('day', long_days, 'population.cutoff_date') }} <= as_of.as_of_date
                then coalesce(future.spend_next_long, 0)
        end as spend_next_180d,
        case
            when {{ dbt.dateadd('day', window_days, 'population.cutoff_date') }} <= as_of.as_of_date
                then coalesce(future.usage_minutes_next_window, 0)
        end as usage_minutes_next_30d
    from population
    cross join as_of
    cross join web_data
    left join lifetime
        on population.cutoff_date = lifetime.cutoff_date and population.customer_id = lifetime.customer_id
    left join recent_sums
        on population.cutoff_date = recent_sums.cutoff_date and population.customer_id = recent_sums.customer_id
    left join year_sums
        on population.cutoff_date = year_sums.cutoff_date and population.customer_id = year_sums.customer_id
    left join web_activity
        on population.cutoff_date = web_activity.cutoff_date and population.customer_id = web_activity.customer_id
    left join future
        on population.cutoff_date = future.cutoff_date and population.customer_id = future.customer_id
),

-- The scores as customer_engagement, customer_value_score and customer_rfm compute them, ranked within the cutoff.
-- Each window sorts only the key and the columns the scores read (joined back below), not every feature.
scores as (
    select
        cutoff_date,
        customer_id,
        {{ engagement_composite({
            'usage_minutes': normalize_percent_rank('window_usage_minutes', 'cutoff_date'),
            'pages_viewed': normalize_percent_rank('window_pages_viewed', 'cutoff_date'),
            'features_clicked': normalize_percent_rank('window_features_clicked', 'cutoff_date'),
            'avg_session_minutes': normalize_percent_rank('window_avg_session_minutes', 'cutoff_date'),
        }) }} as engagement_score,
        case
            when has_web_activity then null
            else {{ normalize_percent_rank('-coalesce(days_since_last_order, 1000000)', 'cutoff_date') }}
        end as order_recency_norm,
        {{ normalize_percent_rank('monthly_revenue', 'cutoff_date') }} as monetary_norm,
        case
            when lifetime_orders > 0
                then
                    {{ quintile_score('days_since_last_order', higher_is_better=false, partition_by=buyers) }}
                    + {{ quintile_score('lifetime_orders', partition_by=buyers) }}
                    + {{ quintile_score('lifetime_revenue', partition_by=buyers) }}
        end as rfm_score
    from (
        select
            cutoff_date,
            customer_id,
            window_usage_minutes,
            window_pages_viewed,
            window_features_clicked,
            window_avg_session_minutes,
            has_web_activity,
            days_since_last_order,
            monthly_revenue,
            lifetime_orders,
            lifetime_revenue
        from measures
    ) as ranked_columns
),

scored as (
    select
        measures.*,
        scores.engagement_score,
        scores.rfm_score,
        {{ value_score_composite(
            'coalesce(scores.order_recency_norm, scores.engagement_score / 100.0)', 'scores.monetary_norm'
        ) }} as value_score,
        {{ dbt.current_timestamp() }} as validated_at
    from measures
    inner join scores on measures.cutoff_date = scores.cutoff_date and measures.customer_id = scores.customer_id
),

final as (
    select {{ cast_to_contract('scored') }}
    from scored
)

select * from final
