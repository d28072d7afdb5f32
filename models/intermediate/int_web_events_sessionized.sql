-- Identified web events up to the as-of date, each assigned to a session: a new session starts
-- after more than session_timeout_minutes of inactivity.
with

events as (
    select * from {{ ref('int_web_events_validated') }}
    where rejection_reason is null
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

identified_events as (
    select events.*
    from events
    cross join as_of
    where events.customer_id is not null and events.event_date <= as_of.as_of_date
),

gaps as (
    select
        *,
        lag(event_at) over (partition by customer_id order by event_at, event_id) as previous_event_at
    from identified_events
),

session_starts as (
    select
        *,
        case
            when previous_event_at is null then 1
            when
                {{ dbt.datediff('previous_event_at', 'event_at', 'second') }} > {{ var('session_timeout_minutes') }} * 60
                then 1
            else 0
        end as is_session_start
    from gaps
),

numbered as (
    select
        *,
        sum(is_session_start) over (
            partition by customer_id order by event_at, event_id rows between unbounded preceding and current row
        ) as session_number
    from session_starts
),

final as (
    select
        event_id,
        customer_id,
        {{ dbt.concat(['customer_id', "'-'", 'cast(session_number as ' ~ dbt.type_string() ~ ')']) }} as session_id,
        session_number,
        event_at,
        event_date,
        event_type,
        event_target,
        duration_seconds
    from numbered
)

select * from final
