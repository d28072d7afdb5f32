-- Identified web events, sessionized and rolled up to one row per session and day: a customer's next event
-- opens a new session after more than session_timeout_minutes of inactivity. The sessions (fct_web_sessions) and
-- the daily activity (int_customer_daily_activity) are sums of these rows, up to the as-of date, so the 50 M
-- events at 1M customers are sorted once and never written out one by one.
-- Incremental: a customer's rows are a function of their valid events alone, so a run deletes and recomputes the
-- rows of the customers whose events int_web_events_validated wrote since (customers_validated_since_last_run).
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{% if is_incremental() %}{{ delete_rows(
        'select distinct validated.customer_id from ('
        ~ customers_validated_since_last_run(ref('int_web_events_validated')) ~ ') as validated',
        ['customer_id'],
    ) }}{% endif %}",
) }}
with

events as (
    select * from {{ ref('int_web_events_validated') }}
    where rejection_reason is null
    {% if is_incremental() -%}
        and customer_id in ({{ customers_validated_since_last_run(ref('int_web_events_validated')) }})
    {%- endif %}
),

-- Only the columns the sessions and the roll-up read: the windows below carry every column through their sort.
identified_events as (
    select
        events.customer_id,
        events.event_at,
        events.event_date,
        events.event_type,
        events.duration_seconds,
        events.validated_at
    from events
    where events.customer_id is not null
),

-- Ordered by time alone: of events at the same second, whichever comes first may open a session and the others
-- follow it at a gap of zero, so ties land in the same session in any order.
gaps as (
    select
        *,
        lag(event_at) over (partition by customer_id order by event_at) as previous_event_at
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

-- The default frame (range) counts every event at the same second as the current one: their order in this sort
-- may differ from the lag's, and a rows frame would then split a tie across two sessions (a different split
-- on each run).
numbered as (
    select
        *,
        sum(is_session_start) over (partition by customer_id order by event_at) as session_number
    from session_starts
),

final as (
    select
        customer_id,
        session_number,
        event_date as activity_date,
        min(event_at) as first_event_at,
        max(event_at) as last_event_at,
        max({{ dbt.dateadd('second', 'duration_seconds', 'event_at') }}) as ended_at,
        count(*) as events,
        sum(case when event_type = 'page_view' then 1 else 0 end) as pages_viewed,
        sum(case when event_type = 'feature_click' then 1 else 0 end) as features_clicked,
        sum(duration_seconds) as usage_seconds,
        max(validated_at) as validated_at
    from numbered
    group by customer_id, session_number, event_date
)

select * from final
