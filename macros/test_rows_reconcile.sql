{#
  Every raw row is accounted for: the source's row count (plus, when the raw sources are files, the rows with
  an `id_column` of the live log `live_table`, which the base model reads beside the raw file) equals the clean
  rows (the rows of `clean_model`, those meeting `clean_where` when given) plus the quarantined rows of that
  source. Returns one row (the counts) when they disagree.
#}
{% test rows_reconcile(model, clean_model, quarantine_model, source_table, clean_where=none, live_table=none, id_column=none) %}
with

counts as (
    select
        (select count(*) from {{ model }}) as raw_rows,
        {%- if live_table and var('raw_sources') == 'files' %}
        (select count(*) from {{ source('live', live_table) }} where {{ id_column }} is not null) as live_rows,
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
