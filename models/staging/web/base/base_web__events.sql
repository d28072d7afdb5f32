-- Every raw web event, typed, with the first reason it fails validation (null when it passes).
with

source as (
    select * from {{ source('web', 'events') }}
),

customers as (
    select * from {{ ref('stg_crm__customers') }}
),

typed as (
    select
        event_id as raw_event_id,
        nullif(trim(event_id), '') as event_id,
        nullif(trim(customer_id), '') as customer_id,
        event_ts as raw_event_ts,
        {{ dbt.safe_cast('event_ts', api.Column.translate_type('timestamp')) }} as event_at,
        event_type,
        event_target,
        duration_seconds
    from source
),

checked as (
    select
        typed.*,
        case
            when typed.event_id is null then 'missing_event_id'
            when typed.event_at is null then 'invalid_event_ts'
            when typed.event_at > {{ dbt.current_timestamp() }} then 'future_event_ts'
            when typed.duration_seconds < 0 then 'negative_duration'
            when typed.event_type not in ('page_view', 'feature_click') or typed.event_type is null
                then 'unknown_event_type'
            when typed.customer_id is not null and customers.customer_id is null then 'unknown_customer'
        end as row_check
    from typed
    left join customers on typed.customer_id = customers.customer_id
),

ranked as (
    select
        *,
        row_number() over (
            partition by event_id
            order by row_check asc nulls first, event_at asc, customer_id asc, event_type asc, event_target asc
        ) as record_rank
    from checked
),

final as (
    select
        raw_event_id,
        event_id,
        customer_id,
        raw_event_ts,
        event_at,
        event_type,
        event_target,
        duration_seconds,
        coalesce(
            row_check,
            case when record_rank > 1 then 'duplicate_event_id' end
        ) as rejection_reason
    from ranked
)

select * from final
