-- One row per web event that passed validation; anonymous events keep a null customer_id.
with

checked as (
    select * from {{ ref('base_web__events') }}
),

final as (
    select
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
