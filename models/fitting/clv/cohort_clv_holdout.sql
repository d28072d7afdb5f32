-- Per monthly acquisition cohort: the selected CLV model's holdout predictions against what happened, in
-- the registered version this run scored with.
with

predictions as (
    {{ registered_version('fit_clv_holdout_predictions', 'clv') }}
),

statuses as (
    {{ registered_version('fit_clv_model_status', 'clv') }}
),

selected as (
    select model_name
    from statuses
    where is_selected
),

final as (
    select
        cast({{ dbt.date_trunc('month', 'predictions.first_purchase_date') }} as date) as cohort_month,
        predictions.model_name,
        cast(count(*) as integer) as customers,
        {{ exact_sum('predictions.predicted_purchases') }} as predicted_purchases,
        cast(sum(predictions.actual_purchases) as integer) as actual_purchases,
        {{ exact_sum('predictions.predicted_spend') }} as predicted_spend,
        {{ exact_sum('predictions.actual_spend') }} as actual_spend
    from predictions
    inner join selected on predictions.model_name = selected.model_name
    group by cohort_month, predictions.model_name
)

select * from final
