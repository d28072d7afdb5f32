-- Every staged order with the first check it fails that needs the CRM or the other orders (null when it
-- passes: the valid orders). Incremental (rows_to_validate, reject_duplicates): a run validates the rows
-- staging loaded since the last run and those waiting for their customer, ranked for duplicates with the
-- loaded rows that share their id, so the table equals a full refresh (but for loaded_at and validated_at).
-- Every row a run writes is stamped validated_at: the feature marts recompute the customers of those rows.
{{ config(materialized='incremental', unique_key='raw_row_key', on_schema_change='fail') }}
{%- set checked %}
    select
        new_rows.*,
        case
            when customers.customer_id is null then 'unknown_customer'
            when new_rows.order_date < customers.signup_date then 'order_before_signup'
        end as row_check
    from ({{ rows_to_validate(ref('stg_shop__orders'), ref('stg_crm__customers')) }}) as new_rows
    left join {{ ref('stg_crm__customers') }} as customers on new_rows.customer_id = customers.customer_id
{%- endset %}
with

ranked as (
    {{ reject_duplicates(
        checked,
        id_column='order_id',
        order_by='batch.ordered_at asc, batch.amount asc, batch.customer_id asc, batch.status asc',
        duplicate_reason='duplicate_order_id',
    ) }}
),

final as (
    select
        raw_row_key,
        loaded_at,
        {{ dbt.current_timestamp() }} as validated_at,
        order_id,
        customer_id,
        ordered_at,
        order_date,
        amount,
        currency,
        status,
        is_revenue,
        rejection_reason
    from ranked
)

select * from final
