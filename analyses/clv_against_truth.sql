-- The README's CLV check against the generator's truth: R² and Spearman correlation of each customer's
-- 12-month CLV with the spend they really made in the following 365 days.
{%- set truth = env_var('CUSTOMER_SCORING_TRUTH_DIR', 'data/truth') ~ '/customers.parquet' %}
with

clv as (
    select * from {{ ref('customer_clv') }}
),

truth as (
    select * from read_parquet('{{ truth }}')
),

joined as (
    select
        clv.clv_12m,
        truth.future_spend,
        rank() over (order by clv.clv_12m) as clv_rank,
        rank() over (order by truth.future_spend) as spend_rank
    from clv
    inner join truth on clv.customer_id = truth.customer_id
),

mean_spend as (
    select avg(future_spend) as mean_future_spend
    from joined
),

final as (
    select
        count(*) as customers,
        1 - sum(power(joined.future_spend - joined.clv_12m, 2))
        / sum(power(joined.future_spend - mean_spend.mean_future_spend, 2)) as clv_12m_r2,
        corr(joined.clv_rank, joined.spend_rank) as clv_12m_spearman
    from joined
    cross join mean_spend
)

select * from final
