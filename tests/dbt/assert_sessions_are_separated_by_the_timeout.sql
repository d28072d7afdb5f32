-- A customer's next session starts more than session_timeout_minutes after the last event of the one before:
-- events at the same second, or closer than the timeout, are never split across two sessions.
with

sessions as (
    select
        customer_id,
        session_number,
        min(first_event_at) as first_event_at,
        max(last_event_at) as last_event_at
    from {{ ref('int_web_events_rolled_up_to_session_days') }}
    group by customer_id, session_number
),

gaps as (
    select
        customer_id,
        session_number,
        last_event_at,
        lead(first_event_at) over (partition by customer_id order by session_number) as next_first_event_at
    from sessions
)

select *
from gaps
where
    next_first_event_at is not null
    and {{ dbt.datediff('last_event_at', 'next_first_event_at', 'second') }} <= {{ var('session_timeout_minutes') }} * 60
