-- Exactly one k is selected for the segments in each version, unless the buyers could not be segmented
-- (no k at all).
select
    model_version,
    count(*) as selected
from {{ ref('fit_segment_k_selection') }}
group by model_version
having sum(case when is_selected then 1 else 0 end) != 1
