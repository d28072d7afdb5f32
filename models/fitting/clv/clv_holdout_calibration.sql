-- Calibration of each CLV model on the holdout: mean predicted against mean actual holdout purchases
-- by the customer's repeat purchases in the calibration period (7 and more pooled), as in
-- lifetimes' plot_calibration_purchases_vs_holdout_purchases.
with

predictions as (
    select * from {{ ref('fit_clv_holdout_predictions') }}
),

summaries as (
    select * from {{ ref('int_clv_summary_by_snapshot') }}
    where snapshot_name = 'calibration'
),

final as (
    select
        cast(predictions.model_name as {{ dbt.type_string() }}) as model_name,
        cast(least(summaries.frequency, 7) as integer) as calibration_frequency,
        cast(count(*) as integer) as customers,
        {{ exact_avg('predictions.predicted_purchases') }} as mean_predicted_purchases,
        {{ exact_avg('predictions.actual_purchases') }} as mean_actual_purchases
    from predictions
    inner join summaries on predictions.customer_id = summaries.customer_id
    where predictions.predicted_purchases is not null
    group by predictions.model_name, least(summaries.frequency, 7)
)

select * from final
