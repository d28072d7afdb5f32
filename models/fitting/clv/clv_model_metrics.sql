-- Holdout validation metrics of every CLV model, one row per model and metric, as of the as-of date.
-- The registered version this run scored with.
with

metrics as (
    {{ registered_version('fit_clv_model_metrics', 'clv') }}
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
