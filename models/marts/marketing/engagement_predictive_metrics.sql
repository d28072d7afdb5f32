-- How well the engagement score predicts what a customer does next: the score computed one
-- engagement_window_days window before the as-of date (over the customers signed up by then), against
-- their web activity in the window that followed, up to the as-of date. One row per metric:
-- engagement_next_usage_spearman (Spearman correlation with next-window usage minutes, ties at their mean
-- rank), engagement_next_active_roc_auc (ROC-AUC for any session in the next window) and
-- customers_backtested. Both are null where they rank nothing (an orders-only history has no sessions).
{%- set window_days = var('engagement_window_days') %}
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

cutoff as (
    select
        as_of_date,
        {{ dbt.dateadd('day', -window_days, 'as_of_date') }} as cutoff_date
    from as_of
),

windowed_sessions as (
    select
        sessions.*,
        sessions.session_date <= cutoff.cutoff_date
        and sessions.session_date > {{ dbt.dateadd('day', -window_days, 'cutoff.cutoff_date') }} as is_before_cutoff,
        sessions.session_date > cutoff.cutoff_date and sessions.session_date <= cutoff.as_of_date as is_after_cutoff
    from sessions
    cross join cutoff
),

web_activity as (
    select
        customer_id,
        {{ engagement_window_sums('is_before_cutoff') }},
        sum(case when is_after_cutoff then 1 else 0 end) as next_sessions,
        {{ exact_sum('case when is_after_cutoff then usage_minutes else 0 end') }} as next_usage_minutes
    from windowed_sessions
    group by customer_id
),

measures as (
    select
        customers.customer_id,
        coalesce(web_activity.usage_minutes, 0) as usage_minutes,
        coalesce(web_activity.pages_viewed, 0) as pages_viewed,
        coalesce(web_activity.features_clicked, 0) as features_clicked,
        coalesce(web_activity.session_minutes / nullif(web_activity.sessions, 0), 0) as avg_session_minutes,
        coalesce(web_activity.next_sessions, 0) as next_sessions,
        coalesce(web_activity.next_usage_minutes, 0) as next_usage_minutes
    from customers
    cross join cutoff
    left join web_activity on customers.customer_id = web_activity.customer_id
    where customers.signup_date <= cutoff.cutoff_date
),

scored as (
    select
        customer_id,
        next_sessions,
        next_usage_minutes,
        {{ engagement_composite({
            'usage_minutes': normalize_percent_rank('usage_minutes'),
            'pages_viewed': normalize_percent_rank('pages_viewed'),
            'features_clicked': normalize_percent_rank('features_clicked'),
            'avg_session_minutes': normalize_percent_rank('avg_session_minutes'),
        }) }} as engagement_score
    from measures
),

-- Mean ranks (ties share the mean of the ranks they span), as Spearman's correlation and the ROC-AUC take them.
ranked as (
    select
        next_sessions,
        rank() over (order by engagement_score)
        + (count(*) over (partition by engagement_score) - 1) / 2.0 as score_rank,
        rank() over (order by next_usage_minutes)
        + (count(*) over (partition by next_usage_minutes) - 1) / 2.0 as usage_rank
    from scored
),

means as (
    select
        {{ exact_avg('score_rank') }} as mean_score_rank,
        {{ exact_avg('usage_rank') }} as mean_usage_rank
    from ranked
),

summary as (
    select
        count(*) as customers_backtested,
        {{ exact_sum('(ranked.score_rank - means.mean_score_rank) * (ranked.usage_rank - means.mean_usage_rank)') }}
        / nullif(sqrt(
            {{ exact_sum('(ranked.score_rank - means.mean_score_rank) * (ranked.score_rank - means.mean_score_rank)') }}
            * {{ exact_sum('(ranked.usage_rank - means.mean_usage_rank) * (ranked.usage_rank - means.mean_usage_rank)') }}
        ), 0) as usage_spearman,
        sum(case when ranked.next_sessions > 0 then 1 else 0 end) as active_customers,
        {{ exact_sum('case when ranked.next_sessions > 0 then ranked.score_rank else 0 end') }} as active_rank_sum
    from ranked
    cross join means
),

metrics as (
    select
        'engagement_next_usage_spearman' as metric_name,
        usage_spearman as metric_value
    from summary
    union all
    -- Mann-Whitney: the share of (active, inactive) pairs the score orders right.
    select
        'engagement_next_active_roc_auc' as metric_name,
        (active_rank_sum - active_customers * (active_customers + 1) / 2.0)
        / nullif(active_customers * (customers_backtested - active_customers), 0) as metric_value
    from summary
    union all
    select
        'customers_backtested' as metric_name,
        customers_backtested as metric_value
    from summary
),

final as (
    select
        cast(cutoff.as_of_date as date) as as_of_date,
        cast(cutoff.cutoff_date as date) as cutoff_date,
        cast(metrics.metric_name as {{ dbt.type_string() }}) as metric_name,
        cast(metrics.metric_value as {{ type_double() }}) as metric_value
    from metrics
    cross join cutoff
)

select * from final
