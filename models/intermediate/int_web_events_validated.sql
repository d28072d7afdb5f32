-- Every staged web event with the first check it fails that needs the CRM or the other events (null when
-- it passes: the valid events). Incremental (rows_to_validate, reject_duplicates): a run validates the rows
-- staging loaded since the last run and those waiting for their customer, ranked for duplicates with the
-- loaded rows that share their id, so the table equals a full refresh (but for loaded_at and validated_at).
-- Every row a run writes is stamped validated_at: the models downstream recompute the customers of those rows.
{{ config(materialized='incremental', unique_key='raw_row_key', on_schema_change='fail') }}
{%- set checked %}
    select
        new_rows.*,
        case
            when new_rows.customer_id is not null and customers.customer_id is null then 'unknown_customer'
        end as row_check
    from ({{ rows_to_validate(ref('stg_web__events'), ref('stg_crm__customers')) }}) as new_rows
    left join {{ ref('stg_crm__customers') }} as customers on new_rows.customer_id = customers.customer_id
{%- endset %}
with

ranked as (
    {{ reject_duplicates(
        checked,
        id_column='event_id',
        order_by='batch.event_at asc, batch.customer_id asc, batch.event_type asc, batch.event_target asc',
        duplicate_reason='duplicate_event_id',
    ) }}
),

final as (
    select
        raw_row_key,
        loaded_at,
        {{ dbt.current_timestamp() }} as validated_at,
        event_id,
        customer_id,
        event_at,
        event_date,
        event_type,
        event_target,
        duration_seconds,
        rejection_reason
    from ranked
)

select * from final
