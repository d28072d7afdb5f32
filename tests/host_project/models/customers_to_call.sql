-- The retention team's call list: the package's scores, joined to nothing else, filtered the team's way.
select
    customer_id,
    clv_12m,
    churn_probability,
    risk_tier,
    next_best_action
from {{ ref('customer_scores') }}
where is_high_value and risk_tier in ('high', 'critical')
