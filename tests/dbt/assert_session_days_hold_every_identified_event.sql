-- Every valid identified web event is counted in exactly one session-day row: the roll-up neither drops nor
-- repeats events, nor keeps those of an earlier run that are no longer valid (its sums feed fct_web_sessions and
-- the daily activity).
with

identified as (
    select count(*) as identified_events
    from {{ ref('int_web_events_validated') }} as events
    where events.rejection_reason is null and events.customer_id is not null
),

counted as (
    select coalesce(sum(events), 0) as counted_events
    from {{ ref('int_web_events_rolled_up_to_session_days') }}
)

select
    identified.identified_events,
    counted.counted_events
from identified
cross join counted
where identified.identified_events != counted.counted_events
