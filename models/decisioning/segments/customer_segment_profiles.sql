-- Profile of each segment: size and average features, with the k and silhouette that chose them.
with

segments as (
    select * from {{ ref('customer_segments') }}
),

selection as (
    select * from {{ ref('fit_segment_k_selection') }}
    where is_selected
),

profiles as (
    select
        segment_name,
        segment_description,
        count(*) as customers,
        {{ exact_avg('recency_days') }} as avg_recency_days,
        {{ exact_avg('frequency') }} as avg_frequency,
        {{ exact_avg('monetary') }} as avg_monetary,
        {{ exact_avg('tenure_days') }} as avg_tenure_days,
        {{ exact_avg('engagement_score') }} as avg_engagement_score,
        {{ exact_avg('clv_12m') }} as avg_clv_12m,
        {{ exact_sum('clv_12m') }} as total_clv_12m,
        {{ exact_avg('churn_probability') }} as avg_churn_probability,
        avg(case when value_band = 'high' then 1.0 else 0.0 end) as high_value_share,
        max(as_of_date) as as_of_date
    from segments
    group by segment_name, segment_description
),

final as (
    select
        cast(profiles.segment_name as {{ dbt.type_string() }}) as segment_name,
        cast(profiles.segment_description as {{ dbt.type_string() }}) as segment_description,
        cast(profiles.customers as integer) as customers,
        cast(profiles.customers * 1.0 / sum(profiles.customers) over () as {{ dbt.type_float() }}) as customer_share,
        cast(profiles.avg_recency_days as {{ dbt.type_float() }}) as avg_recency_days,
        cast(profiles.avg_frequency as {{ dbt.type_float() }}) as avg_frequency,
        cast(profiles.avg_monetary as {{ dbt.type_float() }}) as avg_monetary,
        cast(profiles.avg_tenure_days as {{ dbt.type_float() }}) as avg_tenure_days,
        cast(profiles.avg_engagement_score as {{ dbt.type_float() }}) as avg_engagement_score,
        cast(profiles.avg_clv_12m as {{ dbt.type_float() }}) as avg_clv_12m,
        cast(profiles.total_clv_12m as {{ dbt.type_float() }}) as total_clv_12m,
        cast(profiles.avg_churn_probability as {{ dbt.type_float() }}) as avg_churn_probability,
        cast(profiles.high_value_share as {{ dbt.type_float() }}) as high_value_share,
        cast(selection.k as integer) as segment_count,
        cast(selection.silhouette as {{ dbt.type_float() }}) as silhouette,
        cast(profiles.as_of_date as date) as as_of_date
    from profiles
    cross join selection
)

select * from final
