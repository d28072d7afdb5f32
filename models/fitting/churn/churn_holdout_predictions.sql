-- Every churn model's out-of-time predictions on the held-out cutoff, for lift, ROC and calibration.
with

predictions as (
    select * from {{ ref('fit_churn_holdout_predictions') }}
),

final as (
    select
        cast(model_name as {{ dbt.type_string() }}) as model_name,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(test_cutoff_date as date) as test_cutoff_date,
        cast(churned as integer) as churned,
        cast(churn_probability as {{ dbt.type_float() }}) as churn_probability,
        cast(threshold as {{ dbt.type_float() }}) as threshold,
        cast(predicted_median_days as {{ dbt.type_float() }}) as predicted_median_days,
        cast(days_to_churn as integer) as days_to_churn,
        cast(churn_observed as integer) as churn_observed
    from predictions
)

select * from final
