-- The README's value-score quality table: of the customers each ranking puts in its top high_value_share,
-- the share that really are in the top high_value_share of spend over the next year, and for the value score
-- and the value forecast over the next 180 days (the generator's truth, which the warehouse never reads).
-- Compile with `dbt compile -s value_score_against_truth` and run
-- target/compiled/.../value_score_against_truth.sql against the warehouse.
{%- set truth = env_var('CUSTOMER_SCORING_TRUTH_DIR', 'data/truth') ~ '/customers.parquet' %}
with

value_score as (
    select * from {{ ref('customer_value_score') }}
),

clv as (
    select * from {{ ref('customer_clv') }}
),

forecast as (
    select * from {{ ref('customer_value_forecast') }}
),

truth as (
    select * from read_parquet('{{ truth }}')
),

rankings as (
    select
        truth.customer_id,
        truth.future_spend,
        truth.future_spend_180d,
        value_score.value_score,
        coalesce(forecast.forecast_spend_180d, 0) as forecast_spend_180d,
        value_score.engagement_norm,
        value_score.monetary_norm,
        coalesce(clv.clv_12m, 0) as clv_12m
    from truth
    inner join value_score on truth.customer_id = value_score.customer_id
    left join clv on truth.customer_id = clv.customer_id
    left join forecast on truth.customer_id = forecast.customer_id
),

ranked as (
    select
        row_number() over (order by future_spend desc, customer_id asc) <= {{ var('high_value_share') }} * count(*) over ()
            as is_top_spender,
        row_number() over (order by value_score desc, customer_id asc) <= {{ var('high_value_share') }} * count(*) over ()
            as is_top_value_score,
        row_number() over (order by engagement_norm desc, customer_id asc)
        <= {{ var('high_value_share') }} * count(*) over () as is_top_engagement,
        row_number() over (order by monetary_norm desc, customer_id asc) <= {{ var('high_value_share') }} * count(*) over ()
            as is_top_monetary,
        row_number() over (order by clv_12m desc, customer_id asc) <= {{ var('high_value_share') }} * count(*) over ()
            as is_top_clv,
        row_number() over (order by forecast_spend_180d desc, customer_id asc)
        <= {{ var('high_value_share') }} * count(*) over () as is_top_forecast,
        row_number() over (order by future_spend_180d desc, customer_id asc)
        <= {{ var('high_value_share') }} * count(*) over () as is_top_spender_180d
    from rankings
),

final as (
    select
        avg(case when is_top_spender then 1.0 else 0.0 end) filter (where is_top_value_score)
            as value_score_precision,
        avg(case when is_top_spender then 1.0 else 0.0 end) filter (where is_top_engagement)
            as engagement_precision,
        avg(case when is_top_spender then 1.0 else 0.0 end) filter (where is_top_monetary) as monetary_precision,
        avg(case when is_top_spender then 1.0 else 0.0 end) filter (where is_top_clv) as clv_12m_precision,
        avg(case when is_top_spender then 1.0 else 0.0 end) filter (where is_top_forecast) as value_forecast_precision,
        avg(case when is_top_spender_180d then 1.0 else 0.0 end) filter (where is_top_value_score)
            as value_score_precision_180d,
        avg(case when is_top_spender_180d then 1.0 else 0.0 end) filter (where is_top_forecast)
            as value_forecast_precision_180d
    from ranked
)

select * from final
