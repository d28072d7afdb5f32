-- Every raw CRM row, typed, with the first reason it fails validation (null when it passes).
with

source as (
    select * from {{ source('crm', 'customers') }}
),

typed as (
    select
        customer_id as raw_customer_id,
        nullif(trim(customer_id), '') as customer_id,
        lower(trim(email)) as email_raw,
        first_name,
        upper(trim(country)) as country,
        lower(trim(acquisition_channel)) as acquisition_channel,
        lower(trim(plan)) as plan,
        signup_date as raw_signup_date,
        {{ try_cast('signup_date', api.Column.translate_type('date')) }} as signup_date,
        {{ try_cast('updated_at', api.Column.translate_type('timestamp')) }} as updated_at
    from source
),

checked as (
    select
        *,
        case
            when customer_id is null then 'missing_customer_id'
            when signup_date is null then 'invalid_signup_date'
        end as row_check
    from typed
),

ranked as (
    select
        *,
        row_number() over (
            partition by customer_id
            order by row_check asc nulls first, updated_at desc nulls last, email_raw asc, raw_signup_date asc
        ) as record_rank
    from checked
),

final as (
    select
        raw_customer_id,
        customer_id,
        case when {{ is_valid_email('email_raw') }} then email_raw end as email,
        coalesce({{ is_valid_email('email_raw') }}, false) as is_email_valid,
        first_name,
        country,
        acquisition_channel,
        plan,
        raw_signup_date,
        signup_date,
        updated_at,
        coalesce(
            row_check,
            case when record_rank > 1 then 'duplicate_customer_id' end
        ) as rejection_reason
    from ranked
)

select * from final
