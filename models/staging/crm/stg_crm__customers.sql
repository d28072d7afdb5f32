-- One row per CRM customer that passed validation (the latest record when the export repeats one).
with

checked as (
    select * from {{ ref('base_crm__customers') }}
),

final as (
    select
        customer_id,
        email,
        is_email_valid,
        first_name,
        country,
        acquisition_channel,
        plan,
        signup_date,
        updated_at
    from checked
    where rejection_reason is null
)

select * from final
