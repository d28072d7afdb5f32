-- Web engagement per customer over the trailing engagement window: usage minutes, pages viewed,
-- features clicked and session length, each normalized to [0, 1] by percentile, weighted into a
-- 0-100 composite, with the trend of the last engagement_trend_days against the period before.
{%- set window_days = var('engagement_window_days') %}
{%- set trend_days = var('engagement_trend_days') %}
{%- set band = var('engagement_trend_stable_band') %}
with

customers as (
    select * from {{ ref('dim_customers') }}
),

sessions as (
    select * from {{ ref('fct_web_sessions') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

windowed_sessions as (
    select
        sessions.*,
        sessions.session_date > {{ dbt.dateadd('day', -trend_days, 'as_of.as_of_date') }} as is_last_period,
        sessions.session_date <= {{ dbt.dateadd('day', -trend_days, 'as_of.as_of_date') }}
        and sessions.session_date > {{ dbt.dateadd('day', -2 * trend_days, 'as_of.as_of_date') }}
            as is_previous_period,
        sessions.session_date > {{ dbt.dateadd('day', -window_days, 'as_of.as_of_date') }} as is_in_window
    from sessions
    cross join as_of
),

web_activity as (
    select
        customer_id,
        {{ engagement_window_sums('is_in_window') }},
        {{ exact_sum('case when is_last_period then usage_minutes else 0 end') }} as usage_minutes_last_period,
        {{ exact_sum('case when is_previous_period then usage_minutes else 0 end') }} as usage_minutes_previous_period
    from windowed_sessions
    group by customer_id
),

metrics as (
    select
        customers.customer_id,
        cast(coalesce(web_activity.sessions, 0) as integer) as sessions,
        coalesce(web_activity.usage_minutes, 0) as usage_minutes,
        cast(coalesce(web_activity.pages_viewed, 0) as integer) as pages_viewed,
        cast(coalesce(web_activity.features_clicked, 0) as integer) as features_clicked,
        coalesce(web_activity.session_minutes / nullif(web_activity.sessions, 0), 0) as avg_session_minutes,
        coalesce(web_activity.usage_minutes_last_period, 0) as usage_minutes_last_period,
        coalesce(web_activity.usage_minutes_previous_period, 0) as usage_minutes_previous_period,
        customers.as_of_date
    from customers
    left join web_activity on customers.customer_id = web_activity.customer_id
),

normalized as (
    select
        *,
        {{ normalize_percent_rank('usage_minutes') }} as usage_minutes_norm,
        {{ normalize_percent_rank('pages_viewed') }} as pages_viewed_norm,
        {{ normalize_percent_rank('features_clicked') }} as features_clicked_norm,
        {{ normalize_percent_rank('avg_session_minutes') }} as avg_session_minutes_norm
    from metrics
),

final as (
    select
        customer_id,
        sessions,
        usage_minutes,
        pages_viewed,
        features_clicked,
        avg_session_minutes,
        usage_minutes_norm,
        pages_viewed_norm,
        features_clicked_norm,
        avg_session_minutes_norm,
        {{ engagement_composite({
            'usage_minutes': 'usage_minutes_norm',
            'pages_viewed': 'pages_viewed_norm',
            'features_clicked': 'features_clicked_norm',
            'avg_session_minutes': 'avg_session_minutes_norm',
        }) }} as engagement_score,
        usage_minutes_last_period,
        usage_minutes_previous_period,
        (usage_minutes_last_period - usage_minutes_previous_period) / nullif(usage_minutes_previous_period, 0)
            as engagement_trend_pct,
        case
            when usage_minutes_last_period = 0 and usage_minutes_previous_period = 0 then 'inactive'
            when usage_minutes_previous_period = 0 then 'new'
            when usage_minutes_last_period > (1 + {{ band }}) * usage_minutes_previous_period then 'rising'
            when usage_minutes_last_period < (1 - {{ band }}) * usage_minutes_previous_period then 'declining'
            else 'stable'
        end as engagement_trend,
        as_of_date
    from normalized
)

select * from final
