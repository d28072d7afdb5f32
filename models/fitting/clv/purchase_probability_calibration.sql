-- Calibration of each buy-till-you-die model's purchase probability on the holdout: customers in tenths of
-- the predicted probability (ties by customer), their mean predicted probability against the share who
-- really bought in the first purchase_propensity_days of the holdout. The registered version this run
-- scored with.
with

predictions as (
    {{ registered_version('fit_clv_holdout_predictions', 'clv') }}
),

tenths as (
    select
        model_name,
        predicted_purchase_probability,
        case when actual_window_purchases > 0 then 1.0 else 0.0 end as bought,
        ntile(10) over (
            partition by model_name order by predicted_purchase_probability, customer_id
        ) as probability_decile
    from predictions
    where predicted_purchase_probability is not null
),

final as (
    select
        cast(model_name as {{ dbt.type_string() }}) as model_name,
        cast(probability_decile as integer) as probability_decile,
        cast(count(*) as integer) as customers,
        {{ exact_avg('predicted_purchase_probability') }} as mean_predicted_probability,
        {{ exact_avg('bought') }} as share_bought
    from tenths
    group by model_name, probability_decile
)

select * from final
