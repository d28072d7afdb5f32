-- Calibration of each CLV model on the holdout: mean predicted against mean actual holdout purchases
-- by the customer's repeat purchases in the calibration period (7 and more pooled), as in
-- lifetimes' plot_calibration_purchases_vs_holdout_purchases. The registered version this run scored with.
with

predictions as (
    {{ registered_version('fit_clv_holdout_predictions', 'clv') }}
),

final as (
    select
        cast(predictions.model_name as {{ dbt.type_string() }}) as model_name,
        cast(least(predictions.calibration_frequency, 7) as integer) as calibration_frequency,
        cast(count(*) as integer) as customers,
        {{ exact_avg('predictions.predicted_purchases') }} as mean_predicted_purchases,
        {{ exact_avg('predictions.actual_purchases') }} as mean_actual_purchases
    from predictions
    where predictions.predicted_purchases is not null
    group by predictions.model_name, least(predictions.calibration_frequency, 7)
)

select * from final
