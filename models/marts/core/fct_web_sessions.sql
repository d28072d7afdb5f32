-- One row per web session of an identified customer, up to the as-of date.
with

events as (
    select * from {{ ref('int_web_events_sessionized') }}
),

sessions as (
    select
        session_id,
        customer_id,
        min(event_at) as started_at,
        max({{ dbt.dateadd('second', 'duration_seconds', 'event_at') }}) as ended_at,
        count(*) as events,
        sum(case when event_type = 'page_view' then 1 else 0 end) as pages_viewed,
        sum(case when event_type = 'feature_click' then 1 else 0 end) as features_clicked,
        sum(duration_seconds) / cast(60 as {{ type_double() }}) as usage_minutes
    from events
    group by session_id, customer_id
),

final as (
    select
        session_id,
        customer_id,
        started_at,
        ended_at,
        cast(started_at as date) as session_date,
        {{ dbt.datediff('started_at', 'ended_at', 'second') }} / cast(60 as {{ type_double() }}) as session_minutes,
        cast(events as integer) as events,
        cast(pages_viewed as integer) as pages_viewed,
        cast(features_clicked as integer) as features_clicked,
        usage_minutes
    from sessions
)

select * from final
