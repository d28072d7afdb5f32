-- A model family publishes scores exactly when model_status says its scoring model was fitted and
-- selected: a skipped model leaves its mart empty, and a fitted one never does.
with

status as (
    select * from {{ ref('model_status') }}
),

published as (
    select
        'clv' as model_family,
        count(*) as scored
    from {{ ref('customer_clv') }}
    union all
    select
        'churn' as model_family,
        count(*) as scored
    from {{ ref('customer_churn_risk') }}
    union all
    select
        'segments' as model_family,
        count(*) as scored
    from {{ ref('customer_segments') }}
),

selected as (
    select
        model_family,
        count(*) as selected_models
    from status
    where status = 'fitted' and is_selected
    group by model_family
)

select
    published.model_family,
    published.scored,
    coalesce(selected.selected_models, 0) as selected_models
from published
left join selected on published.model_family = selected.model_family
where (published.scored > 0) != (coalesce(selected.selected_models, 0) = 1)
