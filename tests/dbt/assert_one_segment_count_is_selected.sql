-- Exactly one k is selected for the segments, unless the buyers could not be segmented (no k at all).
select count(*) as selected
from {{ ref('fit_segment_k_selection') }}
where is_selected
having count(*) != 1 and (select count(*) from {{ ref('fit_segment_k_selection') }}) > 0
