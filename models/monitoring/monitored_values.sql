-- Every monitored value of this run in long form (model, variable, customer, value): the inputs of
-- each fitted model and the scores it writes.
{%- set monitored = [
    ('clv', 'clv_features', ['frequency', 'recency_days', 'age_days', 'monetary_value']),
    ('churn', 'churn_features', var('churn_numeric_features')),
    ('segments', 'segment_features', var('segment_features')),
    ('scores', 'scores', ['engagement_score', 'value_score', 'p_alive', 'clv_12m', 'churn_probability']),
] %}
with

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

clv_features as (
    select clv_summary.*
    from {{ ref('int_clv_summary_by_snapshot') }} as clv_summary
    where clv_summary.snapshot_name = 'full'
),

churn_features as (
    select churn.*
    from {{ ref('customer_churn_features') }} as churn
    inner join as_of on churn.cutoff_date = as_of.as_of_date
),

segment_features as (
    select * from {{ ref('customer_segment_features') }}
),

scores as (
    select * from {{ ref('customer_scores') }}
),

-- noqa: disable=LT02
final as (
    {%- for model_name, relation, columns in monitored %}
    {%- set outer_loop = loop %}
    {%- for column in columns %}
    select
        '{{ model_name }}' as model_name,
        '{{ column }}' as variable_name,
        customer_id,
        cast({{ column }} as {{ type_double() }}) as observed_value
    from {{ relation }}
    where {{ column }} is not null
    {%- if not (outer_loop.last and loop.last) %}
    union all
    {%- endif %}
    {%- endfor %}
    {%- endfor %}
)
-- noqa: enable=LT02

select * from final
