-- One row per raw web event that passes the checks its own source can tell; int_web_events_validated checks
-- the rest (customer, duplicates). Anonymous events keep a null customer_id.
with

checked as (
    select * from {{ ref('base_web__events') }}
),

final as (
    select
        raw_row_key,
        loaded_at,
        event_id,
        customer_id,
        event_at,
        cast(event_at as date) as event_date,
        event_type,
        event_target,
        coalesce(duration_seconds, 0) as duration_seconds
    from checked
    where rejection_reason is null
)

select * from final
