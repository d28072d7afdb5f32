{#
  Every raw row is accounted for: the source's row count (plus the rows of `live_model` meeting `live_where`, the
  live log the base model reads beside the raw file) equals the clean rows (the rows of `clean_model`, those
  meeting `clean_where` when given) plus the quarantined rows of that source. Returns one row (the counts) when
  they disagree.
#}
{% test rows_reconcile(model, clean_model, quarantine_model, source_table, clean_where=none, live_model=none, live_where=none) %}
with

counts as (
    select
        (select count(*) from {{ model }}) as raw_rows,
        {%- if live_model %}
        (select count(*) from {{ live_model }} {% if live_where %}where {{ live_where }}{% endif %}) as live_rows,
        {%- else %}
        0 as live_rows,
        {%- endif %}
        (select count(*) from {{ clean_model }} {% if clean_where %}where {{ clean_where }}{% endif %}) as clean_rows,
        (select count(*) from {{ quarantine_model }} where source_table = '{{ source_table }}') as quarantined_rows
)

select *
from counts
where raw_rows + live_rows != clean_rows + quarantined_rows
{% endtest %}
