-- The value forecast's back-test beside the rankings the project already had, one row per ranking and
-- metric: the registered version this run scored with.
with

metrics as (
    {{ registered_version('fit_value_forecast_metrics', 'value') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

dated as (
    select
        metrics.*,
        as_of.as_of_date
    from metrics
    cross join as_of
),

final as (
    select {{ cast_to_contract('dated') }}
    from dated
)

select * from final
