-- Profile of each segment: size and average features, with the k and silhouette that chose them.
with

segments as (
    select * from {{ ref('customer_segments') }}
),

selections as (
    {{ registered_version('fit_segment_k_selection', 'segments') }}
),

selection as (
    select * from selections
    where is_selected
),

profiles as (
    select
        segment_name,
        segment_description,
        count(*) as customers,
        {%- for feature in var('segment_features') %}
            {{ exact_avg(feature) }} as avg_{{ feature }},
        {%- endfor %}
        {{ exact_sum('clv_12m') }} as total_clv_12m,
        {{ float_avg("case when value_band = 'high' then 1.0 else 0.0 end") }} as high_value_share,
        max(as_of_date) as as_of_date
    from segments
    group by segment_name, segment_description
),

shared as (
    select
        profiles.*,
        profiles.customers * 1.0 / sum(profiles.customers) over () as customer_share,
        selection.k as segment_count,
        selection.silhouette
    from profiles
    cross join selection
),

final as (
    select {{ cast_to_contract('shared') }}
    from shared
)

select * from final
