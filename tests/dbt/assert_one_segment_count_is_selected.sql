-- Exactly one k is selected for the segments.
select count(*) as selected
from {{ ref('int_segment_k_selection') }}
where is_selected
having count(*) != 1
