-- Summary metrics of the value score for the as-of date, one row per metric.
with

scores as (
    select * from {{ ref('customer_value_score') }}
),

-- Pearson correlation in two passes over exact sums (see exact_sum): deviations from the means.
means as (
    select
        {{ exact_avg('value_score') }} as mean_value_score,
        {{ exact_avg('tenure_days') }} as mean_tenure_days
    from scores
),

deviations as (
    select
        scores.*,
        scores.value_score - means.mean_value_score as value_score_deviation,
        scores.tenure_days - means.mean_tenure_days as tenure_days_deviation
    from scores
    cross join means
),

summary as (
    select
        max(as_of_date) as as_of_date,
        {{ exact_sum('value_score_deviation * tenure_days_deviation') }} / sqrt(
            {{ exact_sum('value_score_deviation * value_score_deviation') }}
            * {{ exact_sum('tenure_days_deviation * tenure_days_deviation') }}
        ) as value_score_tenure_correlation,
        count(*) as customers_scored,
        sum(case when is_high_value then 1 else 0 end) as high_value_customers,
        {{ exact_avg('value_score') }} as mean_value_score
    from deviations
),

final as (
    select
        as_of_date,
        'value_score_tenure_correlation' as metric_name,
        cast(value_score_tenure_correlation as {{ type_double() }}) as metric_value
    from summary
    union all
    select
        as_of_date,
        'customers_scored' as metric_name,
        cast(customers_scored as {{ type_double() }}) as metric_value
    from summary
    union all
    select
        as_of_date,
        'high_value_customers' as metric_name,
        cast(high_value_customers as {{ type_double() }}) as metric_value
    from summary
    union all
    select
        as_of_date,
        'mean_value_score' as metric_name,
        cast(mean_value_score as {{ type_double() }}) as metric_value
    from summary
)

select * from final
